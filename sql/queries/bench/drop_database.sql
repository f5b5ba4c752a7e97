-- Drop a bench database and end its sessions (the name: an identifier composed in by bench.env.with_identifiers).
DROP DATABASE IF EXISTS {name} WITH (FORCE);
