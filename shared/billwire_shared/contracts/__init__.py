"""Message contracts (msgspec Structs) that cross the bus and the HTTP API."""
