# tests/reliability
