/* filter-plugin.c: a filter for the integration tests whose verdicts the
 * test chooses, so each one can be seen reaching the client.
 * SPDX-License-Identifier: MIT
 *
 * A verdict name is one of proceed, accept, junk, tempfail, reject,
 * discard, disconnect.  Per phase, the first that applies wins:
 *   - the section's key for the phase: `connect: reject`, `rcpt: junk` ...
 *   - HELO: a name whose first label is a verdict ("reject.filter.test");
 *   - MAIL: a sender whose local part is a verdict (reject@filter.test);
 *   - RCPT: a recipient detail (demo+tempfail@example.test);
 *   - end of data: a header line "X-Test-Verdict: discard".
 * `code` and `text` set the reply of every non-proceed verdict; `score`
 * is added at each phase.  Answers come later, as a real filter's would:
 * from an idle callback, or at end of data after `data_delay` ms.
 */
#define G_LOG_DOMAIN "filter"

#include <raven/raven-plugin.h>

#include <stdlib.h>
#include <string.h>

static const RavenCore *core;
static const RavenConfigNode *section;

static const char *const verdict_names[] = {
	"proceed", "accept",  "junk",       "tempfail",
	"reject",  "discard", "disconnect", NULL,
};

static const char *const phase_keys[] = {
	NULL, "connect", "helo", "mail", "rcpt", "data",
};

/* The verdict named by the first `len` bytes of `name`, or -1. */
static int
verdict_from(const char *name, gsize len)
{
	for (int i = 0; verdict_names[i]; i++)
		if (strlen(verdict_names[i]) == len
		    && g_ascii_strncasecmp(name, verdict_names[i], len) == 0)
			return i;
	return -1;
}

static int
from_helo(const RavenFilterContext *ctx)
{
	return ctx->helo ? verdict_from(ctx->helo, strcspn(ctx->helo, "."))
	                 : -1;
}

static int
from_sender(const RavenFilterContext *ctx)
{
	return ctx->sender
	               ? verdict_from(ctx->sender, strcspn(ctx->sender, "@"))
	               : -1;
}

static int
from_recipient(const RavenFilterContext *ctx)
{
	const char *plus = ctx->recipient ? strchr(ctx->recipient, '+') : NULL;

	return plus ? verdict_from(plus + 1, strcspn(plus + 1, "@")) : -1;
}

static int
from_message(const RavenFilterContext *ctx)
{
	static const char field[] = "\nX-Test-Verdict: ";
	gsize len = ctx->message ? g_bytes_get_size(ctx->message) : 0;
	g_autofree char *text
		= len ? g_strndup(g_bytes_get_data(ctx->message, NULL), len)
	              : NULL;
	const char *hit = text ? strstr(text, field) : NULL;

	if (hit == NULL)
		return -1;
	hit += sizeof field - 1;
	return verdict_from(hit, strcspn(hit, "\r\n"));
}

static int
choose(const RavenFilterContext *ctx)
{
	const char *configured
		= core->config_string(section, phase_keys[ctx->phase], NULL);

	if (configured != NULL)
		return verdict_from(configured, strlen(configured));
	switch (ctx->phase) {
	case RAVEN_PHASE_HELO:
		return from_helo(ctx);
	case RAVEN_PHASE_MAIL:
		return from_sender(ctx);
	case RAVEN_PHASE_RCPT:
		return from_recipient(ctx);
	case RAVEN_PHASE_DATA:
		return from_message(ctx);
	default:
		return -1;
	}
}

typedef struct {
	RavenFilterResult *result;
	RavenFilterDone done;
	gpointer done_data;
} Pending;

static gboolean
answer(gpointer data)
{
	Pending *p = data;

	p->done(p->result, p->done_data);
	g_free(p);
	return G_SOURCE_REMOVE;
}

static void
check(const RavenFilterContext *ctx,
      RavenFilterResult *result,
      RavenFilterDone done,
      gpointer done_data,
      gpointer data)
{
	int verdict = choose(ctx);
	gint64 delay = ctx->phase == RAVEN_PHASE_DATA
	                       ? core->config_int(section, "data_delay", 0)
	                       : 0;
	Pending *p = g_new0(Pending, 1);

	result->verdict = verdict < 0 ? RAVEN_VERDICT_PROCEED : verdict;
	result->score = (double)core->config_int(section, "score", 0);
	if (result->verdict != RAVEN_VERDICT_PROCEED) {
		result->reply_code = core->config_int(section, "code", 0);
		result->reply_text
			= g_strdup(core->config_string(section, "text", NULL));
	}
	p->result = result;
	p->done = done;
	p->done_data = done_data;
	if (delay > 0)
		g_timeout_add((guint)delay, answer, p);
	else
		g_idle_add(answer, p);
}

static const RavenFilter test_filter = {
	.size = sizeof(RavenFilter),
	.name = "test-filter",
	.phases = (1u << RAVEN_PHASE_CONNECT) | (1u << RAVEN_PHASE_HELO)
	          | (1u << RAVEN_PHASE_MAIL) | (1u << RAVEN_PHASE_RCPT)
	          | (1u << RAVEN_PHASE_DATA),
	.check = check,
};

static gboolean
filter_init(RavenPlugin *plugin,
            const RavenCore *c,
            const RavenConfigNode *config,
            GError **error)
{
	core = c;
	section = config;
	return core->register_filter(plugin, &test_filter, NULL, error);
}

static const RavenConfigKey filter_keys[] = {
	{ "connect", RAVEN_CONFIG_STRING, 0, NULL, verdict_names },
	{ "helo", RAVEN_CONFIG_STRING, 0, NULL, verdict_names },
	{ "mail", RAVEN_CONFIG_STRING, 0, NULL, verdict_names },
	{ "rcpt", RAVEN_CONFIG_STRING, 0, NULL, verdict_names },
	{ "data", RAVEN_CONFIG_STRING, 0, NULL, verdict_names },
	{ "code", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "text", RAVEN_CONFIG_STRING, 0, NULL, NULL },
	{ "score", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ "data_delay", RAVEN_CONFIG_INT, 0, NULL, NULL },
	{ NULL, 0, 0, NULL, NULL },
};

RAVEN_PLUGIN_DEFINE("filter",
                    "0.1",
                    "MIT",
                    "Verdicts chosen by the test, for SMTP tests",
                    filter_init,
                    NULL,
                    filter_keys)
