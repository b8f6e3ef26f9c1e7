/* smtp-client.h: a blocking SMTP client for the outbound transport.
 * SPDX-License-Identifier: MIT
 *
 * One delivery attempt to one address: RFC 5321's client side with
 * PIPELINING, STARTTLS, SIZE, 8BITMIME, SMTPUTF8 and DSN.  Nothing here
 * touches RavenCore or the plugin's session code, so the unit test links
 * it with smtp-outbound-conn.c alone.  Any thread; nothing is shared.
 */
#ifndef SMTP_CLIENT_H
#define SMTP_CLIENT_H

#include <raven/raven-plugin.h>

G_BEGIN_DECLS

/* Past RFC 5321's 512 octets: a longer reply line, or a reply of more
 * lines, ends the attempt ("reply too long"). */
#define SMTP_CLIENT_MAX_REPLY_LINE 1000
#define SMTP_CLIENT_MAX_REPLY_LINES 100

typedef enum {
	SMTP_CLIENT_TLS_MAY = 0, /* STARTTLS when offered */
	SMTP_CLIENT_TLS_REQUIRE, /* no STARTTLS or no handshake: deferred */
	SMTP_CLIENT_TLS_NEVER,   /* plaintext even when STARTTLS is offered */
} SmtpClientTls;

/* Where one attempt goes. */
typedef struct {
	const char *host;    /* the host's name (or its address): SNI and
	                      * diagnostics */
	const char *address; /* the IP address to connect to */
	guint16 port;
	const char *helo; /* our name, for EHLO */
	SmtpClientTls tls;
	/* Connecting, each reply, each write's progress and the TLS
	 * handshake must finish within this. */
	guint timeout_ms;
} SmtpClientTarget;

typedef enum {
	/* The host answered the transaction: the results are final for
	 * this attempt. */
	SMTP_CLIENT_ANSWERED = 0,
	/* No transaction: the connection, the greeting, EHLO or STARTTLS
	 * failed.  The results say why; another host may do better. */
	SMTP_CLIENT_TRY_NEXT,
	/* A TRY_NEXT where the TLS handshake itself failed: with the "may"
	 * policy the same host can be tried again without TLS. */
	SMTP_CLIENT_TLS_FAILED,
} SmtpClientOutcome;

/* Deliver `job` to `target`.  `results` holds job->n_recipients items,
 * zeroed or cleared with smtp_client_results_clear(); each gets an outcome,
 * a status, a diagnostic and the remote host (g_strdup'd).  Blocks for at
 * most a few timeouts per command. */
SmtpClientOutcome smtp_client_send(const SmtpClientTarget *target,
                                   const RavenTransportJob *job,
                                   RavenTransportResult *results);

/* Give every one of `n` results the same outcome and strings (copied;
 * `remote_host` nullable), freeing what they held. */
void smtp_client_results_set(RavenTransportResult *results,
                             guint n,
                             RavenTransportOutcome outcome,
                             const char *status,
                             const char *diagnostic,
                             const char *remote_host);
/* Free the results' strings and zero them. */
void smtp_client_results_clear(RavenTransportResult *results, guint n);

G_END_DECLS

#endif /* SMTP_CLIENT_H */
