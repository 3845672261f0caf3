-- Camel's JdbcMessageIdRepository table (camel-sql), created here with the primary key its built-in
-- CREATE TABLE lacks: the key is what makes "seen before?" safe across instances sharing one database.
CREATE TABLE CAMEL_MESSAGEPROCESSED (
    processorName VARCHAR(255) NOT NULL,
    messageId     VARCHAR(255) NOT NULL,
    createdAt     TIMESTAMP    NOT NULL,
    PRIMARY KEY (processorName, messageId)
);
