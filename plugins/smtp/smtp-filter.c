/* smtp-filter.c: running the core's filter chain at each SMTP phase and
 * turning its verdict into a reply.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	SmtpSession *session;
	SmtpFilterNext next;
} FilterCall;

static void
filter_done(const RavenFilterResult *result, gpointer data)
{
	FilterCall *call = data;
	SmtpSession *s = call->session;
	SmtpVerdict v = {
		.verdict = result ? result->verdict : RAVEN_VERDICT_PROCEED,
		.code = result ? result->reply_code : 0,
		.text = result && result->reply_text
		                ? g_strdup(result->reply_text)
		                : NULL,
		.score = result ? result->score : 0,
	};

	if (s->conn != NULL && !s->closing)
		call->next(s, &v);
	g_free(v.text);
	g_free(call);
	smtp_session_unwait(s);
}

static gboolean
have_filters(SmtpSession *s)
{
	return RAVEN_CORE_HAS(s->core, filter_run)
	       && s->core->filter_run != NULL;
}

void
smtp_filter(SmtpSession *s, RavenFilterPhase phase, SmtpFilterNext next)
{
	FilterCall *call;

	if (!have_filters(s)) {
		SmtpVerdict v = { .verdict = RAVEN_VERDICT_PROCEED };

		next(s, &v);
		return;
	}
	s->fctx.size = sizeof s->fctx;
	s->fctx.phase = phase;
	s->fctx.client_address = s->client_address;
	if (phase != RAVEN_PHASE_DATA) {
		s->fctx.recipients = NULL;
		s->fctx.message = NULL;
	}
	call = g_new0(FilterCall, 1);
	call->session = s;
	call->next = next;
	smtp_session_wait(s);
	s->core->filter_run(&s->fctx, filter_done, call);
}

/* "X.Y.Z " at the start of a text */
static gboolean
has_enhanced_code(const char *text)
{
	guint a, b, c;
	int n = 0;

	return sscanf(text, "%1u.%3u.%3u %n", &a, &b, &c, &n) == 3 && n > 0;
}

char *
smtp_verdict_reply(const SmtpVerdict *v,
                   guint code,
                   const char *enhanced,
                   const char *fallback)
{
	g_autofree char *text = v->text ? smtp_clean_text(v->text) : NULL;
	guint cls = code / 100;

	if (v->code / 100 == cls && v->code < 600)
		code = v->code;
	if (text == NULL || *text == '\0')
		return g_strdup_printf("%u %s %s", code, enhanced, fallback);
	if (has_enhanced_code(text) && text[0] - '0' == (int)cls)
		return g_strdup_printf("%u %s", code, text);
	return g_strdup_printf("%u %s %s", code, enhanced, text);
}

gboolean
smtp_filter_answer(SmtpSession *s, const SmtpVerdict *v)
{
	g_autofree char *reply = NULL;

	switch (v->verdict) {
	case RAVEN_VERDICT_TEMPFAIL:
		reply = smtp_verdict_reply(v, 451, "4.7.1", "Try again later");
		smtp_reply_quiet(s, reply);
		return FALSE;
	case RAVEN_VERDICT_REJECT:
		reply = smtp_verdict_reply(v, 550, "5.7.1", "Rejected");
		smtp_reply(s, reply);
		return FALSE;
	case RAVEN_VERDICT_DISCONNECT:
		reply = smtp_verdict_reply(v, 421, "4.7.0",
		                           "Connection refused");
		smtp_reply_close(s, reply);
		return FALSE;
	default:
		return TRUE;
	}
}
