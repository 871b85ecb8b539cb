-- Digital-currency addresses a sanctions list names (OFAC's "Digital Currency Address - XBT …"),
-- one row per list entry and address, written with the list in one transaction, so a
-- withdrawal's destination is checked by one indexed lookup. Addresses are stored trimmed and
-- lower case, the one form they are compared in.
CREATE TABLE sanctioned_addresses (
    list_id         BIGINT NOT NULL,
    entity_id       TEXT NOT NULL,
    currency        TEXT NOT NULL,
    address         TEXT NOT NULL,
    PRIMARY KEY (list_id, address, entity_id)
);
CREATE INDEX sanctioned_addresses_by_address ON sanctioned_addresses (address);
