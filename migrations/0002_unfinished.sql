-- zoombot's PostgreSQL schema, version 2: interactions taken up and not answered yet, so that one
-- whose replica died is finished by another.

CREATE TABLE unfinished (
    id bigint PRIMARY KEY,
    owner text NOT NULL,
    record bytea NOT NULL
);
