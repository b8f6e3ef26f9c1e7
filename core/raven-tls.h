/* raven-tls.h: the server's TLS credentials and GnuTLS sessions.
 * SPDX-License-Identifier: MIT
 */
#ifndef RAVEN_TLS_H
#define RAVEN_TLS_H

#include <glib.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

#define RAVEN_TLS_ERROR (raven_tls_error_quark())
GQuark raven_tls_error_quark(void);

typedef enum {
	RAVEN_TLS_ERROR_CREDENTIALS, /* certificate or key unusable */
	RAVEN_TLS_ERROR_PRIORITY,    /* a bad priority string */
	RAVEN_TLS_ERROR_SESSION,
} RavenTlsError;

/* Mozilla's "intermediate" profile: TLS 1.2 and 1.3, AEAD ciphers only. */
#define RAVEN_TLS_DEFAULT_PRIORITY                                             \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:" \
	"+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:" \
	"+ECDHE-RSA:+DHE-RSA:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:"       \
	"+GROUP-SECP384R1:+GROUP-FFDHE2048:+GROUP-FFDHE3072:-SIGN-RSA-SHA1:"   \
	"-SIGN-ECDSA-SHA1"

/* Certificate, key and priority, shared by the sessions made from it.  A
 * reload makes a new one; sessions keep the one they started with. */
typedef struct RavenTlsContext RavenTlsContext;

/* (transfer full) */
RavenTlsContext *raven_tls_context_new(const char *certificate_path,
                                       const char *key_path,
                                       const char *priority,
                                       GError **error);
RavenTlsContext *raven_tls_context_ref(RavenTlsContext *context);
void raven_tls_context_unref(RavenTlsContext *context);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RavenTlsContext, raven_tls_context_unref)

/* A non-blocking server session over `fd`.  The session holds no reference:
 * keep `context` alive as long as the session.  NULL with `error`. */
gnutls_session_t
raven_tls_session_new(RavenTlsContext *context, int fd, GError **error);

/* Make a self-signed ECDSA P-256 certificate for `hostname` (and localhost,
 * 127.0.0.1, ::1) and its key, unless `certificate_path` exists already.
 * The key file is mode 0600.  Both are written atomically. */
gboolean raven_tls_ensure_self_signed(const char *certificate_path,
                                      const char *key_path,
                                      const char *hostname,
                                      GError **error);

G_END_DECLS

#endif /* RAVEN_TLS_H */
