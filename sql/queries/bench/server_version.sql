-- The server's version, for the bench's header line.
SHOW server_version;
