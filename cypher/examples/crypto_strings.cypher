// Strings that name crypto (AES, RSA, SHA, MD5, cipher, key, nonce, ...) and the functions that use them, in one binary.
// param sha256: ""
MATCH (f:Function)-[:REFERENCES]->(s:String {binary: $sha256})
WITH f, s, toLower(s.value) AS v
WHERE v CONTAINS 'aes' OR v CONTAINS 'rsa' OR v CONTAINS 'sha' OR v CONTAINS 'md5'
   OR v CONTAINS 'cipher' OR v CONTAINS 'crypt' OR v CONTAINS 'key' OR v CONTAINS 'nonce'
   OR v CONTAINS 'hmac' OR v CONTAINS 'chacha' OR v CONTAINS 'curve'
RETURN s.value AS string, f.name AS function, f.addr AS addr
ORDER BY string, addr
