# tests/lib-tls-certs.sh - sourced (not run) by the scripts that need TLS certificates
# (tests/itest_tls.sh, tests/bench-echo). Made at test time with the openssl command,
# valid for two days, P-256 keys (fast handshakes), nothing secret.
#
#   tls_make_certs DIR   writes into DIR:
#     ca.crt ca.key          a test CA
#     srv.crt srv.key        server certificate from ca: IP:127.0.0.1, DNS:localhost
#     other.crt other.key    server certificate from ca for DNS:other.example only
#     cca.crt cca.key        a second CA, for client certificates
#     cli.crt cli.key        client certificate from cca (extendedKeyUsage clientAuth)
#   returns 1 (with openssl's output on stderr) if any step fails.

tls_make_certs() {
    local d=$1 log
    log=$(mktemp)
    _tls_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
    _tls_ca() { # name subject
        _tls_key "$d/$1.key" &&
            openssl req -x509 -new -key "$d/$1.key" -out "$d/$1.crt" -days 2 -subj "$2" \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
    }
    _tls_leaf() { # name ca subject extensions
        _tls_key "$d/$1.key" &&
            openssl req -new -key "$d/$1.key" -out "$d/$1.csr" -subj "$3" &&
            printf '%s\n' "$4" >"$d/$1.ext" &&
            openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
                -set_serial "0x$(openssl rand -hex 8)" -days 2 -out "$d/$1.crt" \
                -extfile "$d/$1.ext"
    }
    if ! {
        _tls_ca ca "/CN=wsspec test CA" &&
            _tls_leaf srv ca /CN=localhost \
                "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" &&
            _tls_leaf other ca /CN=other.example \
                "subjectAltName=DNS:other.example
extendedKeyUsage=serverAuth" &&
            _tls_ca cca "/CN=wsspec test client CA" &&
            _tls_leaf cli cca /CN=wsspec-client "extendedKeyUsage=clientAuth"
    } >"$log" 2>&1; then
        echo "tls_make_certs: openssl failed:" >&2
        sed 's/^/    /' "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
