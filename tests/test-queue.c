/* test-queue.c: the queue's notes and its delivery status reports.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-queue-notes.h"
#include "raven-report.h"

#include <string.h>

static void
test_notes_parse(void)
{
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(RavenQueueNotes) notes = NULL;

	raven_queue_note_deferred(text, 1, "451 4.3.0 try\r\nsettled 2");
	raven_queue_note_settled(text, 0);
	raven_queue_note_attempt(text, 3, 1800000000);
	raven_queue_note_deferred(text, 1, "421 later");
	raven_queue_note_settled(text, 7); /* out of range: ignored */
	raven_queue_note_warned(text);
	g_string_append(text, "settled 2"); /* torn by a crash */
	notes = raven_queue_notes_parse(text->str, 3);
	g_assert_true(notes->settled[0]);
	g_assert_false(notes->settled[1]);
	g_assert_false(notes->settled[2]);
	g_assert_cmpstr(notes->reasons[1], ==, "421 later");
	g_assert_null(notes->reasons[0]);
	g_assert_cmpuint(notes->attempts, ==, 3);
	g_assert_cmpint(notes->next_try, ==, 1800000000);
	g_assert_true(notes->warned);
	/* The reason could not start a line of its own. */
	g_assert_null(strstr(text->str, "\nsettled 2\n"));
}

static const char original[] = "Received: from x\r\n"
			       "From: alice@example.test\r\n"
			       "Subject: hello\r\n"
			       "\r\n"
			       "the body\r\n";

static char *
build(RavenReportAction action, gboolean ret_full, const char *status)
{
	RavenRecipient rcpt = { sizeof rcpt, "bob@remote.test",
		                "rfc822;bob@remote.test", 0 };
	RavenEnvelope env = {
		.size = sizeof env,
		.sender = "alice@example.test",
		.recipients = &rcpt,
		.n_recipients = 1,
		.envid = "E-17",
		.ret_full = ret_full,
	};
	RavenReportRecipient who
		= { "bob@remote.test", "rfc822;bob@remote.test", status,
		    "550 5.1.1 <bob@remote.test>: no such user",
		    "mx.remote.test [127.0.0.1]" };
	g_autoptr(GBytes) message
		= g_bytes_new_static(original, strlen(original));
	RavenReport r = {
		.action = action,
		.hostname = "mx.example.test",
		.queue_id = "0000ABCD",
		.envelope = &env,
		.message = message,
		.arrival = 1800000000,
		.retry_until = 1800432000,
		.recipients = &who,
		.n_recipients = 1,
	};
	g_autoptr(GBytes) out = raven_report_build(&r);
	RavenRecipient to;
	RavenEnvelope report_env;

	raven_report_envelope(&r, &to, &report_env);
	g_assert_cmpstr(report_env.sender, ==, "");
	g_assert_cmpstr(to.address, ==, "alice@example.test");
	return g_strndup(g_bytes_get_data(out, NULL), g_bytes_get_size(out));
}

static void
assert_has(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		g_error("'%s' not in:\n%s", needle, text);
}

static void
test_report_failed(void)
{
	g_autofree char *text = build(RAVEN_REPORT_FAILED, FALSE, "5.1.1");

	assert_has(text, "To: <alice@example.test>\r\n");
	assert_has(text, "Subject: Undelivered Mail Returned to Sender\r\n");
	assert_has(text, "Auto-Submitted: auto-replied\r\n");
	assert_has(text, "multipart/report; report-type=delivery-status");
	assert_has(text, "Your message to bob@remote.test could not be "
	                 "delivered: the address does not exist.");
	assert_has(text, "Reporting-MTA: dns; mx.example.test\r\n");
	assert_has(text, "Original-Envelope-Id: E-17\r\n");
	assert_has(text, "Original-Recipient: rfc822;bob@remote.test\r\n");
	assert_has(text, "Final-Recipient: rfc822; bob@remote.test\r\n"
	                 "Action: failed\r\nStatus: 5.1.1\r\n"
	                 "Remote-MTA: dns; mx.remote.test\r\n"
	                 "Diagnostic-Code: smtp; 550 5.1.1 <bob@remote.test>:"
	                 " no such user\r\n");
	/* RET=HDRS (or none): the header only. */
	assert_has(text, "Content-Type: text/rfc822-headers\r\n"
	                 "Content-Description: Message Headers\r\n\r\n"
	                 "Received: from x\r\n");
	g_assert_null(strstr(text, "the body"));
	for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
		g_assert_cmpint(p[-1], ==, '\r');
}

static void
test_report_full_and_words(void)
{
	g_autofree char *full = build(RAVEN_REPORT_FAILED, TRUE, "5.2.2");
	g_autofree char *late = build(RAVEN_REPORT_DELAYED, TRUE, "4.4.1");
	g_autofree char *done = build(RAVEN_REPORT_DELIVERED, FALSE, "2.0.0");

	assert_has(full, "the recipient's mailbox is full.");
	assert_has(full, "Content-Type: message/rfc822\r\n");
	assert_has(full, "the body\r\n");
	assert_has(late, "Subject: Delayed Mail (still being retried)");
	assert_has(late, "has not been delivered yet. Raven is still trying, "
	                 "and will keep trying until ");
	assert_has(late, "Action: delayed\r\n");
	assert_has(late, "Will-Retry-Until: ");
	/* A delay report carries the header only, whatever RET says. */
	g_assert_null(strstr(late, "the body"));
	assert_has(done, "Your message to bob@remote.test was delivered.");
	assert_has(done, "Action: delivered\r\n");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/queue/notes/parse", test_notes_parse);
	g_test_add_func("/queue/report/failed", test_report_failed);
	g_test_add_func("/queue/report/full-and-words",
	                test_report_full_and_words);
	return g_test_run();
}
