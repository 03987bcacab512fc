"""Endorsements: people, or user groups through their members, stand behind a resource of a plugin
(a proposal). ``models`` (one row per endorser and resource, unique), ``services`` (endorse, withdraw, the
list of endorsers and the buttons' state). The plugin owning the resource decides when endorsing is
open and keeps its stored count; see plugins/proposals for the example."""
