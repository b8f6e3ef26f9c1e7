/* smtp-outbound.c: the outbound queue's transport: where a domain's mail
 * goes (routes, MX lookup) and the attempts of smtp-client.c, host after
 * host.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include "smtp-client.h"
#include "smtp-route.h"

#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_PORT 25
/* Addresses tried per attempt (Postfix's smtp_mx_address_limit): with a
 * timeout per command, more would hold a worker for too long. */
#define MAX_ADDRESSES 5

/* Read once in init; send() reads it from the queue's worker threads. */
typedef struct {
	GHashTable *routes;      /* domain -> SmtpNextHop * */
	GHashTable *require_tls; /* domains with outbound_tls: require */
	char *helo;
	guint timeout_ms;
	guint16 port;
} SmtpOutbound;

/* Where an attempt may go: names to resolve, in order, and their port. */
typedef struct {
	char **names;
	guint16 port;
	/* No MX: the names are the domain's own; "not found" is final. */
	gboolean implicit;
} SmtpHosts;

static SmtpOutbound *outbound;

static void
hop_free(gpointer hop)
{
	smtp_next_hop_clear(hop);
	g_free(hop);
}

static void
outbound_free(SmtpOutbound *o)
{
	g_hash_table_unref(o->routes);
	g_hash_table_unref(o->require_tls);
	g_free(o->helo);
	g_free(o);
}

/* ---- config */

static gboolean config_error(const RavenCore *core,
                             const RavenConfigNode *node,
                             GError **error,
                             const char *format,
                             ...) G_GNUC_PRINTF(4, 5);

static gboolean
config_error(const RavenCore *core,
             const RavenConfigNode *node,
             GError **error,
             const char *format,
             ...)
{
	g_autofree char *where = core->config_where(node);
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: %s",
	            where, message);
	return FALSE;
}

static gboolean
read_routes(SmtpOutbound *o,
            const RavenCore *core,
            const RavenConfigNode *routes,
            GError **error)
{
	guint n = routes ? core->config_length(routes) : 0;

	for (guint i = 0; i < n; i++) {
		const RavenConfigNode *item = core->config_item(routes, i);
		g_autoptr(GError) local = NULL;
		SmtpNextHop *hop = g_new0(SmtpNextHop, 1);

		if (!smtp_next_hop_parse(core->config_scalar(item), hop,
		                         &local)) {
			g_free(hop);
			return config_error(core, item, error, "%s",
			                    local->message);
		}
		g_hash_table_replace(
			o->routes,
			g_ascii_strdown(core->config_key(routes, i), -1), hop);
	}
	return TRUE;
}

/* The values are checked by the schema: may or require. */
static void
read_tls(SmtpOutbound *o,
         const RavenCore *core,
         const RavenConfigNode *policies)
{
	guint n = policies ? core->config_length(policies) : 0;

	for (guint i = 0; i < n; i++) {
		const char *policy
			= core->config_scalar(core->config_item(policies, i));

		if (g_str_equal(policy, "require"))
			g_hash_table_add(
				o->require_tls,
				g_ascii_strdown(core->config_key(policies, i),
			                        -1));
	}
}

static gboolean
read_numbers(SmtpOutbound *o,
             const RavenCore *core,
             const RavenConfigNode *config,
             GError **error)
{
	gint64 port = core->config_int(config, "outbound_port", DEFAULT_PORT);
	guint64 timeout = core->config_duration_ms(config, "outbound_timeout",
	                                           DEFAULT_TIMEOUT_MS);

	if (port < 1 || port > G_MAXUINT16)
		return config_error(
			core, core->config_get(config, "outbound_port"), error,
			"outbound_port is a port from 1 to 65535");
	/* A blocked worker with no timeout would never come back. */
	if (timeout == 0)
		return config_error(
			core, core->config_get(config, "outbound_timeout"),
			error, "outbound_timeout must be longer than 0");
	o->port = (guint16)port;
	o->timeout_ms = (guint)MIN(timeout, G_MAXUINT);
	return TRUE;
}

/* ---- where a domain's mail goes */

static char **
one_name(const char *name)
{
	char **names = g_new0(char *, 2);

	names[0] = g_strdup(name);
	return names;
}

static void
fail_all(const RavenTransportJob *job,
         RavenTransportResult *results,
         RavenTransportOutcome outcome,
         const char *status,
         const char *diagnostic)
{
	smtp_client_results_set(results, job->n_recipients, outcome, status,
	                        diagnostic, NULL);
}

/* GLib's messages are localized and quote with curly quotes: diagnostics
 * go into bounce reports, so say it in ASCII. */
static const char *
dns_reason(const GError *error)
{
	if (g_error_matches(error, G_RESOLVER_ERROR,
	                    G_RESOLVER_ERROR_NOT_FOUND))
		return "not found";
	if (g_error_matches(error, G_RESOLVER_ERROR,
	                    G_RESOLVER_ERROR_TEMPORARY_FAILURE))
		return "temporary DNS failure";
	return "DNS lookup failed";
}

/* The route, else the MX hosts, else the domain itself.  FALSE when the
 * results say why there is nowhere to go. */
static gboolean
find_hosts(SmtpOutbound *o,
           const RavenTransportJob *job,
           RavenTransportResult *results,
           SmtpHosts *hosts)
{
	const SmtpNextHop *route = g_hash_table_lookup(o->routes, job->domain);
	g_autoptr(GResolver) resolver = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GRand) rand = NULL;
	g_autofree char *why = NULL;
	GList *records;
	SmtpMxChoice choice = SMTP_MX_NONE;

	hosts->port = o->port;
	if (route != NULL) {
		hosts->names = one_name(route->host);
		hosts->port = route->port != 0 ? route->port : o->port;
		return TRUE;
	}
	resolver = g_resolver_get_default();
	records = g_resolver_lookup_records(resolver, job->domain,
	                                    G_RESOLVER_RECORD_MX, NULL, &error);
	if (records != NULL) {
		rand = g_rand_new();
		choice = smtp_mx_order(records, rand, &hosts->names);
		g_list_free_full(records, (GDestroyNotify)g_variant_unref);
	} else if (!g_error_matches(error, G_RESOLVER_ERROR,
	                            G_RESOLVER_ERROR_NOT_FOUND)) {
		why = g_strdup_printf("cannot look up the MX of %s: %s",
		                      job->domain, dns_reason(error));
		fail_all(job, results, RAVEN_TRANSPORT_DEFERRED, "4.4.3", why);
		return FALSE;
	}
	if (choice == SMTP_MX_NULL) {
		why = g_strdup_printf("%s does not accept mail (null MX)",
		                      job->domain);
		fail_all(job, results, RAVEN_TRANSPORT_FAILED, "5.1.10", why);
		return FALSE;
	}
	if (choice == SMTP_MX_HOSTS
	    && smtp_mx_drop_self(hosts->names, o->helo) == 0) {
		why = g_strdup_printf("mail for %s loops back to myself (%s "
		                      "is its best MX host)",
		                      job->domain, o->helo);
		fail_all(job, results, RAVEN_TRANSPORT_FAILED, "5.4.6", why);
		return FALSE;
	}
	if (choice == SMTP_MX_NONE) {
		/* RFC 5321 5.1: no MX, the domain is its own host */
		hosts->names = one_name(job->domain);
		hosts->implicit = TRUE;
	}
	return TRUE;
}

/* ---- attempts */

/* One address; TRUE when it answered the transaction. */
static gboolean
attempt(const RavenTransportJob *job,
        RavenTransportResult *results,
        SmtpClientTarget *target)
{
	SmtpClientOutcome outcome;

	g_debug("%s: trying %s [%s]:%u for %s", job->queue_id, target->host,
	        target->address, target->port, job->domain);
	smtp_client_results_clear(results, job->n_recipients);
	outcome = smtp_client_send(target, job, results);
	/* Opportunistic TLS may go on without it, as Postfix does: whoever
	 * can break the handshake could as well have hidden STARTTLS. */
	if (outcome == SMTP_CLIENT_TLS_FAILED
	    && target->tls == SMTP_CLIENT_TLS_MAY) {
		g_debug("%s: %s; again without TLS", job->queue_id,
		        results[0].diagnostic);
		target->tls = SMTP_CLIENT_TLS_NEVER;
		smtp_client_results_clear(results, job->n_recipients);
		outcome = smtp_client_send(target, job, results);
	}
	return outcome == SMTP_CLIENT_ANSWERED;
}

/* The addresses of one host in turn; TRUE when one answered. */
static gboolean
try_addresses(SmtpOutbound *o,
              const RavenTransportJob *job,
              RavenTransportResult *results,
              const char *host,
              guint16 port,
              SmtpClientTls tls,
              GList *addresses,
              guint *tried)
{
	for (GList *l = addresses; l && *tried < MAX_ADDRESSES; l = l->next) {
		g_autofree char *ip = g_inet_address_to_string(l->data);
		SmtpClientTarget target = {
			.host = host,
			.address = ip,
			.port = port,
			.helo = o->helo,
			.tls = tls,
			.timeout_ms = o->timeout_ms,
		};

		(*tried)++;
		if (attempt(job, results, &target))
			return TRUE;
	}
	return FALSE;
}

/* Nothing could be tried: say why from the last lookup's error. */
static void
no_address(const RavenTransportJob *job,
           RavenTransportResult *results,
           const SmtpHosts *hosts,
           const char *name,
           const GError *error)
{
	g_autofree char *why = g_strdup_printf(
		"cannot find the address of %s: %s", name, dns_reason(error));

	if (hosts->implicit
	    && g_error_matches(error, G_RESOLVER_ERROR,
	                       G_RESOLVER_ERROR_NOT_FOUND))
		fail_all(job, results, RAVEN_TRANSPORT_FAILED, "5.4.4", why);
	else
		fail_all(job, results, RAVEN_TRANSPORT_DEFERRED, "4.4.3", why);
}

/* Host after host until one answers the transaction; otherwise the
 * results are the last failure's. */
static void
try_hosts(SmtpOutbound *o,
          const RavenTransportJob *job,
          RavenTransportResult *results,
          const SmtpHosts *hosts,
          SmtpClientTls tls)
{
	g_autoptr(GResolver) resolver = g_resolver_get_default();
	g_autoptr(GError) error = NULL;
	const char *name = NULL;
	guint tried = 0;

	for (guint i = 0; hosts->names[i] && tried < MAX_ADDRESSES; i++) {
		GList *addresses;
		gboolean answered;

		name = hosts->names[i];
		g_clear_error(&error);
		/* An IP address comes back as it is, without DNS. */
		addresses = g_resolver_lookup_by_name(resolver, name, NULL,
		                                      &error);
		answered = try_addresses(o, job, results, name, hosts->port,
		                         tls, addresses, &tried);
		g_resolver_free_addresses(addresses);
		if (answered)
			return;
	}
	if (tried == 0 && error != NULL)
		no_address(job, results, hosts, name, error);
}

static void
outbound_send(const RavenTransportJob *job,
              RavenTransportResult *results,
              gpointer data)
{
	SmtpOutbound *o = data;
	SmtpHosts hosts = { NULL, 0, FALSE };
	SmtpClientTls tls = g_hash_table_contains(o->require_tls, job->domain)
	                            ? SMTP_CLIENT_TLS_REQUIRE
	                            : SMTP_CLIENT_TLS_MAY;

	if (job->n_recipients == 0)
		return;
	if (find_hosts(o, job, results, &hosts))
		try_hosts(o, job, results, &hosts, tls);
	g_strfreev(hosts.names);
}

static const RavenTransport smtp_transport = {
	.size = sizeof(RavenTransport),
	.name = "smtp",
	.send = outbound_send,
};

gboolean
smtp_outbound_init(RavenPlugin *plugin,
                   const RavenCore *core,
                   const RavenConfigNode *config,
                   GError **error)
{
	SmtpOutbound *o = g_new0(SmtpOutbound, 1);

	o->routes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	                                  hop_free);
	o->require_tls
		= g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	/* A copy: send() runs on worker threads, away from the core. */
	o->helo = g_strdup(core->hostname());
	read_tls(o, core, core->config_get(config, "outbound_tls"));
	if (!read_routes(o, core, core->config_get(config, "routes"), error)
	    || !read_numbers(o, core, config, error)) {
		outbound_free(o);
		return FALSE;
	}
	if (!RAVEN_CORE_HAS(core, register_transport)) {
		g_info("this core has no outbound queue: sending nothing");
		outbound_free(o);
		return TRUE;
	}
	if (!core->register_transport(plugin, &smtp_transport, o, error)) {
		outbound_free(o);
		return FALSE;
	}
	outbound = o;
	return TRUE;
}

void
smtp_outbound_shutdown(void)
{
	g_clear_pointer(&outbound, outbound_free);
}
