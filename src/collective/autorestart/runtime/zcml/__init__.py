"""The ZCML half of the reload engine: incremental and full reloads, the record of executed actions,
what can be taken back, and the registrations made outside ZCML."""
