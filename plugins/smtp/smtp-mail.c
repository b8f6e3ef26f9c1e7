/* smtp-mail.c: MAIL and RCPT: envelope parsing and policy: local
 * recipients only (no relay tricks, quota) unless the session logged in;
 * a logged-in user sends only from addresses of their own.
 * SPDX-License-Identifier: MIT
 */
#define G_LOG_DOMAIN "smtp"

#include "smtp.h"

#include <string.h>

/* ---- MAIL */

/* Why MAIL may not go on with this sender, or NULL (transfer full). */
static char *
sender_refusal(SmtpSession *s, const SmtpMailArgs *mail)
{
	if (mail->path.utf8 && !mail->smtputf8)
		return g_strdup("553 5.6.7 Non-ASCII address needs SMTPUTF8");
	if (mail->has_size && mail->size > s->server->max_message_size)
		return g_strdup("552 5.3.4 Message size exceeds fixed maximum "
		                "message size");
	/* RFC 4954 5: AUTH= exists where AUTH is offered */
	if (mail->auth != NULL && !s->submission)
		return g_strdup(smtp_status_reply(SMTP_ERR_PARAM_UNKNOWN));
	if (s->auth_user != NULL && !smtp_auth_owns(s, mail->path.address))
		return g_strdup_printf("553 5.7.1 Sender address not owned "
		                       "by %s",
		                       s->auth_user);
	return NULL;
}

gboolean
smtp_check_mail(SmtpSession *s, const char *args)
{
	if (s->helo == NULL) {
		smtp_reply(s, "503 5.5.1 Send HELO/EHLO first");
		return FALSE;
	}
	if (s->tx.active) {
		smtp_reply(s, "503 5.5.1 Nested MAIL command");
		return FALSE;
	}
	if (s->submission && s->auth_user == NULL) {
		smtp_reply(s, "530 5.7.0 Authentication required");
		return FALSE;
	}
	return TRUE;
}

static void
mail_filtered(SmtpSession *s, const SmtpVerdict *v)
{
	SmtpTx *tx = &s->tx;

	if (!smtp_filter_answer(s, v)) {
		smtp_mail_args_clear(&s->pending_mail);
		return;
	}
	smtp_tx_reset(s);
	tx->active = TRUE;
	tx->mail = s->pending_mail;
	memset(&s->pending_mail, 0, sizeof s->pending_mail);
	tx->score = v->score;
	tx->junk = v->verdict == RAVEN_VERDICT_JUNK;
	tx->discard = v->verdict == RAVEN_VERDICT_DISCARD;
	smtp_reply(s, "250 2.1.0 Ok");
}

void
smtp_proceed_mail(SmtpSession *s, const char *args)
{
	SmtpMailArgs *mail = &s->pending_mail;
	g_autofree char *refusal = NULL;
	SmtpStatus status;

	smtp_mail_args_clear(mail);
	status = smtp_parse_mail(args, mail);
	if (status != SMTP_OK) {
		smtp_reply(s, smtp_status_reply(status));
		return;
	}
	refusal = sender_refusal(s, mail);
	if (refusal != NULL) {
		smtp_reply(s, refusal);
		smtp_mail_args_clear(mail);
		return;
	}
	s->fctx.helo = s->helo;
	s->fctx.sender = mail->path.address;
	s->fctx.recipient = NULL;
	smtp_filter(s, RAVEN_PHASE_MAIL, mail_filtered);
}

/* ---- RCPT */

gboolean
smtp_check_rcpt(SmtpSession *s, const char *args)
{
	if (s->tx.active && !s->tx.bdat)
		return TRUE;
	smtp_reply(s, s->tx.active ? "503 5.5.1 RCPT after BDAT"
	                           : "503 5.5.1 Need MAIL before RCPT");
	return FALSE;
}

/* <Postmaster> names the postmaster of the server's own domain: the
 * hostname, or the nearest parent of it that is local (RFC 5321 4.5.1). */
static char *
postmaster_address(SmtpSession *s)
{
	const char *domain = s->core->hostname();

	while (domain != NULL && !s->core->domain_is_local(domain)) {
		domain = strchr(domain, '.');
		if (domain != NULL)
			domain++;
	}
	return g_strconcat("postmaster@", domain ? domain : s->core->hostname(),
	                   NULL);
}

/* Why this recipient is refused, or NULL with the local user it delivers
 * to (NULL too for a remote recipient of a logged-in user: relay). */
static const char *
recipient_refusal(SmtpSession *s, const SmtpPath *path, char **user)
{
	*user = NULL;
	if (path->source_route)
		return "554 5.7.1 Source routes are not accepted";
	if (path->literal)
		return "554 5.7.1 Relaying denied";
	if (!s->core->domain_is_local(path->domain))
		return s->auth_user != NULL ? NULL
		                            : "554 5.7.1 Relaying denied";
	/* user%other@here, user!other@here, "a@b"@here: relay tricks */
	if (strpbrk(path->local, "%!@") != NULL)
		return "554 5.7.1 Relaying denied";
	*user = s->core->user_resolve(path->address);
	if (*user == NULL)
		return "550 5.1.1 User unknown";
	return NULL;
}

static gboolean
over_quota(SmtpSession *s, const char *user)
{
	return RAVEN_CORE_HAS(s->core, user_over_quota)
	       && s->core->user_over_quota != NULL
	       && s->core->user_over_quota(user);
}

/* The same local user, or the same remote address. */
static gboolean
already_listed(SmtpSession *s, const char *user, const char *address)
{
	for (guint i = 0; i < s->tx.rcpts->len; i++) {
		SmtpRcpt *r = &g_array_index(s->tx.rcpts, SmtpRcpt, i);

		if (user != NULL ? g_strcmp0(r->user, user) == 0
		                 : r->user == NULL
		                           && strcmp(r->address, address) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
rcpt_filtered(SmtpSession *s, const SmtpVerdict *v)
{
	SmtpRcptArgs *r = &s->pending_rcpt;
	SmtpRcpt rcpt = { 0 };

	if (smtp_filter_answer(s, v)) {
		s->tx.score += v->score;
		s->tx.junk |= v->verdict == RAVEN_VERDICT_JUNK;
		/* discard: a 250 now, and the message goes nowhere */
		s->tx.discard |= v->verdict == RAVEN_VERDICT_DISCARD;
		s->tx.n_accepted++;
		if (!already_listed(s, s->pending_user, r->path.address)) {
			rcpt.address = g_steal_pointer(&r->path.address);
			rcpt.user = g_steal_pointer(&s->pending_user);
			rcpt.orcpt = g_steal_pointer(&r->orcpt);
			rcpt.notify = r->notify;
			g_array_append_val(s->tx.rcpts, rcpt);
		}
		smtp_reply(s, "250 2.1.5 Ok");
	}
	smtp_rcpt_args_clear(r);
	g_clear_pointer(&s->pending_user, g_free);
}

/* The reply when `r` may not be a recipient, or NULL; sets pending_user. */
static const char *
rcpt_refusal(SmtpSession *s, SmtpRcptArgs *r, gboolean *quiet)
{
	const char *refusal;

	*quiet = FALSE;
	if (r->path.utf8 && !s->tx.mail.smtputf8)
		return "553 5.6.7 Non-ASCII address needs SMTPUTF8";
	if (s->tx.n_accepted >= s->server->max_recipients) {
		*quiet = TRUE; /* a big list is no error: send the rest later */
		return "452 4.5.3 Too many recipients";
	}
	if (r->path.postmaster) {
		g_free(r->path.address);
		r->path.address = postmaster_address(s);
		g_free(r->path.domain);
		r->path.domain = g_strdup(strchr(r->path.address, '@') + 1);
	}
	refusal = recipient_refusal(s, &r->path, &s->pending_user);
	if (refusal != NULL)
		return refusal;
	if (s->pending_user != NULL && over_quota(s, s->pending_user)) {
		*quiet = !s->server->quota_permanent;
		return s->server->quota_permanent
		               ? "552 5.2.2 Mailbox full"
		               : "452 4.2.2 Mailbox full, try again later";
	}
	return NULL;
}

void
smtp_proceed_rcpt(SmtpSession *s, const char *args)
{
	SmtpRcptArgs *r = &s->pending_rcpt;
	const char *refusal;
	SmtpStatus status;
	gboolean quiet;

	smtp_rcpt_args_clear(r);
	g_clear_pointer(&s->pending_user, g_free);
	s->tx.n_tried++;
	status = smtp_parse_rcpt(args, r);
	if (status != SMTP_OK) {
		smtp_reply(s, smtp_status_reply(status));
		return;
	}
	refusal = rcpt_refusal(s, r, &quiet);
	if (refusal != NULL) {
		if (quiet)
			smtp_reply_quiet(s, refusal);
		else
			smtp_reply(s, refusal);
		smtp_rcpt_args_clear(r);
		g_clear_pointer(&s->pending_user, g_free);
		return;
	}
	s->fctx.helo = s->helo;
	s->fctx.sender = s->tx.mail.path.address;
	s->fctx.recipient = r->path.address;
	smtp_filter(s, RAVEN_PHASE_RCPT, rcpt_filtered);
}
