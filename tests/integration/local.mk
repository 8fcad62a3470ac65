# integration tests (tests/integration/*.sh)
