/*
 * web_tls.h — the certificate and private key of `dangan serve --tls-cert --tls-key`.
 *
 * The web interface can speak HTTPS itself (libmicrohttpd built with GnuTLS) instead of
 * behind a reverse proxy. The key file is refused unless it is a regular file owned by the
 * account the server runs as and readable by nobody else (mode 0600 or 0400): a key others
 * can read is a key others may have copied. Both files are read whole into memory (PEM).
 */
#ifndef DG_WEB_TLS_H
#define DG_WEB_TLS_H

#include "../base/status.h"

typedef struct dg_web_tls {
    char *cert; /* PEM, NUL-terminated */
    char *key;  /* PEM, NUL-terminated; wiped when freed */
} dg_web_tls;

/* Reads and checks both files into tls (filled only on success). */
dg_status dg_web_tls_load(const char *cert_path, const char *key_path, dg_web_tls *tls,
                          dg_error *err);

/* Wipes the key and frees both. */
void dg_web_tls_free(dg_web_tls *tls);

/* Whether this libmicrohttpd can serve TLS at all. */
int dg_web_tls_supported(void);

#endif
