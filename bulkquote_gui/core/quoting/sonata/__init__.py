"""The MEF LSO Sonata Quote Management adapter (docs/api/sonata/, shared/sonata-profile.md).

`client` is the adapter the factory builds; `oauth` keeps its token; `mapping` turns a row into a
Sonata quote request and a Sonata Quote into the seam's offer; `states` names Sonata's states
(with the names the Billie release renamed); `templates/` holds the default product
configurations (package data).
"""
