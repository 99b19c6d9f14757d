/* test-ami-parse.c: AMI messages and the line parser, without a socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "kerio/kc-ami-parse.h"

#define GREETING "Asterisk Call Manager/1.3\r\n"

/* Feeds `text` in pieces of `piece` bytes (0: at once); the messages */
static GPtrArray *
parse (KcAmiParser  *parser,
       const char   *text,
       gsize         size,
       gsize         piece,
       GError      **error)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_ami_message_unref);

  if (piece == 0)
    piece = MAX (size, 1);
  for (gsize at = 0; at < size; at += piece)
    if (!kc_ami_parser_feed (parser, text + at, MIN (piece, size - at), messages, error))
      break;
  return messages;
}

static GPtrArray *
parse_all (const char *text,
           gsize       piece)
{
  g_autoptr (KcAmiParser) parser = kc_ami_parser_new ();
  g_autoptr (GError) error = NULL;
  GPtrArray *messages = parse (parser, text, strlen (text), piece, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (kc_ami_parser_get_greeting (parser), ==, "Asterisk Call Manager/1.3");
  return messages;
}

/* The way Asterisk writes it, and the way it arrives in pieces of any
 * size: the same messages */
static void
test_blocks (void)
{
  static const char text[] = GREETING
    "Response: Success\r\nActionID: kc-1\r\nChallenge: 123456789\r\n\r\n"
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: SIP/1001-0000002a\r\n"
    "ChannelState: 4\r\nCallerIDName: <unknown>\r\nAccountCode: \r\nUniqueid: 1765123456.42\r\n"
    "\r\n";
  static const gsize pieces[] = { 0, 1, 2, 3, 7, 64 };

  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      g_autoptr (GPtrArray) messages = parse_all (text, pieces[i]);
      KcAmiMessage *response;
      KcAmiMessage *event;
      const char *key;
      const char *value;

      g_assert_cmpuint (messages->len, ==, 2);
      response = g_ptr_array_index (messages, 0);
      event = g_ptr_array_index (messages, 1);
      g_assert_null (kc_ami_message_get_event (response));
      g_assert_cmpstr (kc_ami_message_get (response, "Challenge"), ==, "123456789");
      g_assert_cmpstr (kc_ami_message_get_event (event), ==, "Newchannel");
      g_assert_true (kc_ami_message_is_event (event, "NEWCHANNEL"));
      g_assert_false (kc_ami_message_is_event (response, "Newchannel"));
      g_assert_cmpstr (kc_ami_message_get (event, "AccountCode"), ==, "");
      g_assert_cmpstr (kc_ami_message_get (event, "CallerIDName"), ==, "<unknown>");
      g_assert_null (kc_ami_message_get (event, "Linkedid"));
      g_assert_cmpuint (kc_ami_message_get_n_fields (event), ==, 7);
      kc_ami_message_get_field (event, 2, &key, &value);
      g_assert_cmpstr (key, ==, "Channel");
      g_assert_cmpstr (value, ==, "SIP/1001-0000002a");
    }
}

/* Keys in any case, blanks around keys and values, LF alone, a value with
 * colons in it, a key given twice (the first wins) */
static void
test_tolerant (void)
{
  g_autoptr (GPtrArray) messages = parse_all (
    GREETING "event: Hangup\nchannel:SIP/trunk-0000002b  \n  UniqueID :  1765123456.43\n"
             "Cause-txt: Normal Clearing\r\nTime: 12:30:01\nCause: 16\ncause: 17\n\n",
    0);
  KcAmiMessage *event = g_ptr_array_index (messages, 0);

  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_true (kc_ami_message_is_event (event, "Hangup"));
  g_assert_cmpstr (kc_ami_message_get (event, "Channel"), ==, "SIP/trunk-0000002b");
  g_assert_cmpstr (kc_ami_message_get (event, "uniqueid"), ==, "1765123456.43");
  g_assert_cmpstr (kc_ami_message_get (event, "Uniqueid"), ==, "1765123456.43");
  g_assert_cmpstr (kc_ami_message_get (event, "CAUSE-TXT"), ==, "Normal Clearing");
  g_assert_cmpstr (kc_ami_message_get (event, "Time"), ==, "12:30:01");
  g_assert_cmpstr (kc_ami_message_get (event, "Cause"), ==, "16");
}

/* A block with a line that is not "Key: Value" goes whole; the next one
 * is read as usual. Blank lines between blocks are nothing. */
static void
test_malformed_block_skipped (void)
{
  g_autoptr (GPtrArray) messages = parse_all (
    GREETING "\r\n\r\nEvent: Newstate\r\nthis line has no colon\r\nChannel: SIP/1001-1\r\n\r\n"
             "Event: Bad\r\n: no key\r\n\r\n"
             "Event: Hangup\r\nChannel: SIP/1001-1\r\n\r\n   \t\r\n",
    0);

  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_true (kc_ami_message_is_event (g_ptr_array_index (messages, 0), "Hangup"));
}

/* Bytes that are not UTF-8, a NUL among them, become U+FFFD */
static void
test_not_utf8 (void)
{
  static const char text[] = GREETING "Event: Newchannel\r\nCallerIDName: Jo\xe2\x80\r\n"
                                      "CallerIDNum: 12\0003\r\n\r\n";
  g_autoptr (KcAmiParser) parser = kc_ami_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) messages = parse (parser, text, sizeof text - 1, 0, &error);
  KcAmiMessage *event;

  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 1);
  event = g_ptr_array_index (messages, 0);
  g_assert_cmpstr (kc_ami_message_get (event, "CallerIDName"), ==, "Jo\xef\xbf\xbd\xef\xbf\xbd");
  g_assert_cmpstr (kc_ami_message_get (event, "CallerIDNum"), ==, "12\xef\xbf\xbd" "3");
}

static void
assert_too_large (const char *text,
                  gsize       size,
                  gsize       piece,
                  guint       n_messages)
{
  g_autoptr (KcAmiParser) parser = kc_ami_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) messages = parse (parser, text, size, piece, &error);

  g_assert_error (error, KC_KERIO_ERROR, KC_KERIO_ERROR_TOO_LARGE);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (messages->len, ==, n_messages);
}

/* A line of KC_AMI_MAX_LINE bytes passes, CR or not; one byte more ends
 * the parse, whether its newline has come or not (no unbounded buffer) */
static void
test_line_limit (void)
{
  g_autoptr (GString) text = g_string_new (GREETING "Event: Ok\r\nKey: ");
  g_autoptr (GPtrArray) messages = NULL;
  gsize line_start = text->len - strlen ("Key: ");

  while (text->len - line_start < KC_AMI_MAX_LINE)
    g_string_append_c (text, 'x');
  g_string_append (text, "\r\n\r\n");
  messages = parse_all (text->str, 1000);
  g_assert_cmpuint (messages->len, ==, 1);

  g_string_truncate (text, line_start + KC_AMI_MAX_LINE);
  g_string_append (text, "y\r\n\r\n");
  assert_too_large (text->str, text->len, 0, 0);
  /* Without its end, in small pieces */
  assert_too_large (text->str, line_start + KC_AMI_MAX_LINE + 2, 100, 0);
}

/* KC_AMI_MAX_BLOCK_LINES lines pass, one more does not; so with bytes,
 * even when every line is short enough */
static void
test_block_limits (void)
{
  g_autoptr (GString) text = g_string_new (GREETING "Event: First\r\n\r\nEvent: Many\r\n");
  g_autoptr (GPtrArray) messages = NULL;
  gsize end;

  for (guint i = 1; i < KC_AMI_MAX_BLOCK_LINES; i++)
    g_string_append_printf (text, "K%u: v\r\n", i);
  end = text->len;
  g_string_append (text, "\r\n");
  messages = parse_all (text->str, 0);
  g_assert_cmpuint (messages->len, ==, 2);

  g_string_truncate (text, end);
  g_string_append (text, "One: more\r\n\r\n");
  assert_too_large (text->str, text->len, 0, 1);

  g_string_assign (text, GREETING "Event: Big\r\n");
  for (guint i = 0; i < 20; i++)
    {
      g_string_append (text, "Key: ");
      for (guint j = 0; j < 4000; j++)
        g_string_append_c (text, 'z');
      g_string_append (text, "\r\n");
    }
  g_string_append (text, "\r\n");
  assert_too_large (text->str, text->len, 4096, 0);
}

static void
test_greeting (void)
{
  g_autofree char *v11 = kc_ami_parse_greeting ("Asterisk Call Manager/1.3");
  g_autofree char *v18 = kc_ami_parse_greeting ("Asterisk Call Manager/7.0.3");

  g_assert_cmpstr (v11, ==, "1.3");
  g_assert_cmpstr (v18, ==, "7.0.3");
  g_assert_null (kc_ami_parse_greeting ("Asterisk Call Manager/"));
  g_assert_null (kc_ami_parse_greeting ("SSH-2.0-OpenSSH_9.2p1 Debian-2"));
  g_assert_null (kc_ami_parse_greeting ("HTTP/1.1 400 Bad Request"));
  g_assert_null (kc_ami_parse_greeting (""));
}

static void
test_actions (void)
{
  const char *pairs[] = { "ActionID", "kc-2", "Username", "admin", "Secret", "", NULL };
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *key = kc_ami_md5_key ("1234", "demo");
  g_autofree char *expected = g_compute_checksum_for_string (G_CHECKSUM_MD5, "1234demo", -1);
  const char *pairs_ping[] = { "ActionID", "kc-3", NULL };

  kc_ami_format_action (out, "Login", pairs);
  kc_ami_format_action (out, "Ping", pairs_ping);
  g_assert_cmpstr (out->str, ==,
                   "Action: Login\r\nActionID: kc-2\r\nUsername: admin\r\nSecret: \r\n\r\n"
                   "Action: Ping\r\nActionID: kc-3\r\n\r\n");
  g_assert_cmpstr (key, ==, expected);
  g_assert_cmpuint (strlen (key), ==, 32);
  g_assert_true (kc_ami_text_is_safe ("pa: ss word"));
  g_assert_false (kc_ami_text_is_safe ("pass\r\nAction: Originate"));
  g_assert_false (kc_ami_text_is_safe ("pass\n"));
  g_assert_false (kc_ami_text_is_safe (NULL));
}

static void
test_message_new (void)
{
  const char *pairs[] = { "Event", "Hangup", "Channel", "SIP/1001-0000002a", NULL };
  g_autoptr (KcAmiMessage) message = kc_ami_message_new (pairs);
  g_auto (GValue) value = G_VALUE_INIT;

  g_assert_true (kc_ami_message_is_event (message, "hangup"));
  g_assert_cmpstr (kc_ami_message_get (message, "CHANNEL"), ==, "SIP/1001-0000002a");
  /* A boxed type, as the client's "event" signal carries it */
  g_value_init (&value, KC_TYPE_AMI_MESSAGE);
  g_value_set_boxed (&value, message);
  g_assert_true (g_value_get_boxed (&value) == message);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ami-parse/blocks", test_blocks);
  g_test_add_func ("/ami-parse/tolerant", test_tolerant);
  g_test_add_func ("/ami-parse/malformed-block-skipped", test_malformed_block_skipped);
  g_test_add_func ("/ami-parse/not-utf8", test_not_utf8);
  g_test_add_func ("/ami-parse/line-limit", test_line_limit);
  g_test_add_func ("/ami-parse/block-limits", test_block_limits);
  g_test_add_func ("/ami-parse/greeting", test_greeting);
  g_test_add_func ("/ami-parse/actions", test_actions);
  g_test_add_func ("/ami-parse/message-new", test_message_new);

  return g_test_run ();
}
