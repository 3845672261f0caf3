#!/usr/bin/env bash
# Builds a minimal Debian + OpenJDK 17 JRE base image as a docker-archive tarball from Debian's packages,
# for building flowledger's image where no container registry is reachable:
#   sudo src/image/make-base-image.sh target/base-image.tar
#   mvn -B -Pimage package -Dimage.base=tar://$PWD/target/base-image.tar
# Needs root and debootstrap (apt-get install debootstrap). Takes a few minutes; the result is ~250 MB.
set -euo pipefail
out="$(realpath -m "${1:-target/base-image.tar}")"
suite="${SUITE:-bookworm}"
mirror="${MIRROR:-http://deb.debian.org/debian}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates "$suite" "$rootfs" "$mirror"
# Trim what a JVM service never needs.
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
java_home="$(dirname "$(dirname "$(readlink -f "$rootfs/usr/bin/java" | sed "s#^$rootfs##")")")"

# docker-archive layout: one layer, an image config, a manifest (what `docker save` writes, and Jib reads).
mkdir -p "$work/image"
tar --numeric-owner -C "$rootfs" -cf "$work/image/layer.tar" .
diff_id="sha256:$(sha256sum "$work/image/layer.tar" | cut -d' ' -f1)"
cat > "$work/image/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=${java_home}"]},
 "rootfs":{"type":"layers","diff_ids":["${diff_id}"]}}
JSON
cat > "$work/image/manifest.json" <<JSON
[{"Config":"config.json","RepoTags":["flowledger-base:${suite}-jre17"],"Layers":["layer.tar"]}]
JSON
mkdir -p "$(dirname "$out")"
tar -C "$work/image" -cf "$out" manifest.json config.json layer.tar
echo "base image: $out ($(du -h "$out" | cut -f1)), JAVA_HOME=${java_home}"
