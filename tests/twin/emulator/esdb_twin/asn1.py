"""Just enough DER reading to tell a PKCS#1 RSAPrivateKey from anything else (.NET's ImportRSAPrivateKey)."""


def _header(data, offset):
    """(tag, content start, content end) of the DER value at offset; ValueError when it does not fit."""
    if offset + 2 > len(data):
        raise ValueError("truncated")
    tag, first = data[offset], data[offset + 1]
    start = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("truncated")
    return tag, start, start + length


def is_rsa_private_key(der):
    """RSAPrivateKey ::= SEQUENCE { version INTEGER (0), n, e, d, p, q, dp, dq, qinv INTEGER, ... }.

    A PKCS#8 PrivateKeyInfo also starts with SEQUENCE { INTEGER 0, ... } but its second field is a SEQUENCE
    (the algorithm identifier), so it is refused here exactly where ImportRSAPrivateKey refuses it."""
    try:
        tag, offset, end = _header(der, 0)
        if tag != 0x30:
            return False
        for index in range(9):
            tag, start, stop = _header(der, offset)
            if tag != 0x02:
                return False
            if index == 0 and der[start:stop] != b"\x00":
                return False
            offset = stop
        return offset <= end
    except ValueError:
        return False
