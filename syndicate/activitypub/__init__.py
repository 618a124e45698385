"""The newsroom on the fediverse: the site and its authors as ActivityPub actors that other
servers find (WebFinger, NodeInfo), follow (a signed inbox) and hear from (signed deliveries on
a ledger)."""
