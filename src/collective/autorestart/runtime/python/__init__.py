"""The Python half of the reload engine: modules reloaded in place, importers, the registry swap."""
