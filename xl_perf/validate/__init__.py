"""The validator: every check beyond the engine's own rule findings, the catalogue of finding codes, and the
checking of several files of one unit together."""
