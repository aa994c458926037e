/* Per-registry TLS material, laid out as containers-certs.d(5) and Docker
 * describe it: a directory holding CA certificates (*.crt, trusted in
 * addition to the system's) and client certificates (NAME.cert with its
 * key NAME.key).  Without --cert-dir, /etc/containers/certs.d/HOST[:PORT]
 * then /etc/docker/certs.d/HOST[:PORT] are used when they exist.  */
#ifndef MUELLE_CERTS_H
#define MUELLE_CERTS_H

#include <stddef.h>
#include "error.h"

struct registry_certs
{
  char *ca_bundle; /* system CAs + the directory's *.crt (PEM), NULL: curl's default */
  size_t ca_len;
  char *client_cert; /* path of NAME.cert, or NULL */
  char *client_key;  /* path of NAME.key */
};

int certs_load (const char *cert_dir, const char *domain, struct registry_certs *out, estiba_error_t *err);
void certs_clear (struct registry_certs *certs);

#endif
