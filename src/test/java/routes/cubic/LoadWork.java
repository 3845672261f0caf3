package routes.cubic;

import java.util.List;

/** Test helper: the work a load state machine's instance takes on now, as one list (see {@code claimUnits}). */
public final class LoadWork {

    private LoadWork() {
    }

    public static List<CubicLoad> claim(LoadStateMachine machine, int max) {
        return machine.claimUnits(max).stream().flatMap(List::stream).toList();
    }
}
