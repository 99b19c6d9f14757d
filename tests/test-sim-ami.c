/* test-sim-ami.c: the simulator's Asterisk Manager Interface, driven over
 * TCP with a bare line reader so that its wire behaviour is checked
 * independently of the project's AMI client.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <signal.h>
#include <string.h>

#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

#define MOBILE "+998901234567"
#define MOBILE_NAME "Aziz Karimov"

/* One block as it came: key, value, key, value, ... (keys as spelt) */
typedef GPtrArray Block;

typedef struct
{
  GSocketConnection *connection;
  GDataInputStream  *input;
  GCancellable      *cancellable;
  char              *greeting;
  GPtrArray         *blocks; /* Block */
  Block             *current;
  guint              cursor; /* blocks handed out by next_block() */
  gboolean           closed;
  guint              action_id;
} Raw;

typedef struct
{
  KcSimServer     *sim;
  KcSimAmiVersion  version;
  Raw             *raw;
} Fixture;

/* --- A bare AMI client */

static void raw_read (Raw *raw);

static void
on_raw_line (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Raw *raw = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length;
  char *colon;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, &length,
                                               &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (line == NULL)
    {
      raw->closed = TRUE;
      return;
    }
  /* The wire's line ends are CRLF */
  g_assert_true (length > 0 && line[length - 1] == '\r');
  line[--length] = '\0';

  if (raw->greeting == NULL)
    raw->greeting = g_strdup (line);
  else if (length == 0)
    {
      if (raw->current != NULL)
        g_ptr_array_add (raw->blocks, g_steal_pointer (&raw->current));
    }
  else
    {
      colon = strstr (line, ": ");
      if (colon == NULL)
        {
          /* "Key: " with an empty value ends in ":" */
          g_assert_true (line[length - 1] == ':');
          colon = line + length - 1;
        }
      if (raw->current == NULL)
        raw->current = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (raw->current, g_strndup (line, colon - line));
      g_ptr_array_add (raw->current, g_strdup (colon[1] ? colon + 2 : ""));
    }
  raw_read (raw);
}

static void
raw_read (Raw *raw)
{
  g_data_input_stream_read_line_async (raw->input, G_PRIORITY_DEFAULT, raw->cancellable,
                                       on_raw_line, raw);
}

static Raw *
raw_connect (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Raw *raw = g_new0 (Raw, 1);

  g_socket_client_connect_to_host_async (client, "127.0.0.1", port, NULL, kc_test_store_result,
                                         &result);
  KC_TEST_AWAIT (result);
  raw->connection = g_socket_client_connect_to_host_finish (client, result, &error);
  g_assert_no_error (error);
  raw->input = g_data_input_stream_new (
    g_io_stream_get_input_stream (G_IO_STREAM (raw->connection)));
  g_data_input_stream_set_newline_type (raw->input, G_DATA_STREAM_NEWLINE_TYPE_LF);
  raw->cancellable = g_cancellable_new ();
  raw->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  raw_read (raw);
  KC_TEST_WAIT_UNTIL (raw->greeting != NULL, 10);
  return raw;
}

static void
raw_free (Raw *raw)
{
  if (raw == NULL)
    return;
  g_cancellable_cancel (raw->cancellable);
  /* Let the cancelled read come back before its Raw goes */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_io_stream_close (G_IO_STREAM (raw->connection), NULL, NULL);
  g_object_unref (raw->connection);
  g_object_unref (raw->input);
  g_object_unref (raw->cancellable);
  g_free (raw->greeting);
  g_ptr_array_unref (raw->blocks);
  g_clear_pointer (&raw->current, g_ptr_array_unref);
  g_free (raw);
}

static const char *
block_get (Block      *block,
           const char *key)
{
  for (guint i = 0; i + 1 < block->len; i += 2)
    if (strcmp (g_ptr_array_index (block, i), key) == 0)
      return g_ptr_array_index (block, i + 1);
  return NULL;
}

static Block *
next_block (Raw *raw)
{
  KC_TEST_WAIT_UNTIL (raw->blocks->len > raw->cursor, 10);
  return g_ptr_array_index (raw->blocks, raw->cursor++);
}

/* Sends an action (key, value, ..., NULL) with an ActionID, and returns its
 * response; events that come first are skipped */
static Block *
raw_action (Raw        *raw,
            const char *action,
            ...)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("t-%u", ++raw->action_id);
  const char *key;
  va_list args;

  g_string_append_printf (text, "Action: %s\r\nActionID: %s\r\n", action, id);
  va_start (args, action);
  while ((key = va_arg (args, const char *)) != NULL)
    g_string_append_printf (text, "%s: %s\r\n", key, va_arg (args, const char *));
  va_end (args);
  g_string_append (text, "\r\n");
  /* The kernel takes a few hundred bytes at once: no wait for the server
   * on this thread */
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (raw->connection)),
                             text->str, text->len, NULL, NULL, &error);
  g_assert_no_error (error);

  for (;;)
    {
      Block *block = next_block (raw);

      if (block_get (block, "Response") != NULL)
        {
          g_assert_cmpstr (block_get (block, "ActionID"), ==, id);
          return block;
        }
    }
}

static Block *
raw_login (Raw        *raw,
           const char *username,
           const char *secret,
           const char *events)
{
  Block *block = raw_action (raw, "Challenge", "AuthType", "MD5", NULL);
  g_autofree char *text = NULL;
  g_autofree char *key = NULL;

  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
  text = g_strconcat (block_get (block, "Challenge"), secret, NULL);
  key = g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
  return raw_action (raw, "Login", "AuthType", "MD5", "Username", username, "Key", key,
                     events != NULL ? "Events" : NULL, events, NULL);
}

static void
raw_login_ok (Raw        *raw,
              const char *events)
{
  Block *block = raw_login (raw, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD, events);

  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
}

/* --- Fixture */

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  f->version = GPOINTER_TO_INT (data);
  kc_sim_server_set_ami_version (f->sim, f->version);
  kc_sim_server_listen_ami (f->sim, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (kc_sim_server_get_ami_port (f->sim), >, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->raw, raw_free);
  g_clear_object (&f->sim);
}

static void
connect_and_login (Fixture    *f,
                   const char *events)
{
  f->raw = raw_connect (kc_sim_server_get_ami_port (f->sim));
  raw_login_ok (f->raw, events);
}

/* --- Login, actions */

static void
test_greeting_and_login (Fixture       *f,
                         gconstpointer  data)
{
  Block *block;

  f->raw = raw_connect (kc_sim_server_get_ami_port (f->sim));
  g_assert_cmpstr (f->raw->greeting, ==, "Asterisk Call Manager/1.3");

  /* Nothing but the login before it */
  block = raw_action (f->raw, "Ping", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");

  block = raw_login (f->raw, KC_SIM_DEFAULT_USERNAME, "wrong", "call");
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");
  g_assert_cmpstr (block_get (block, "Message"), ==, "Authentication failed");
  /* A challenge answers one login */
  block = raw_action (f->raw, "Login", "AuthType", "MD5", "Username", KC_SIM_DEFAULT_USERNAME,
                      "Key", "00000000000000000000000000000000", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");
  block = raw_login (f->raw, "nobody", KC_SIM_DEFAULT_PASSWORD, "call");
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");

  block = raw_login (f->raw, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD, "call");
  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
  g_assert_cmpstr (block_get (block, "Message"), ==, "Authentication accepted");
  g_assert_cmpuint (kc_sim_server_get_ami_login_count (f->sim), ==, 1);

  block = raw_action (f->raw, "Ping", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
  g_assert_cmpstr (block_get (block, "Ping"), ==, "Pong");
  block = raw_action (f->raw, "NoSuchThing", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");

  block = raw_action (f->raw, "Logoff", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Goodbye");
  KC_TEST_WAIT_UNTIL (f->raw->closed, 10);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_session_count (f->sim) == 0, 10);

  g_assert_cmpuint (kc_sim_server_get_ami_connection_count (f->sim), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Login"), ==, 4);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Challenge"), ==, 3);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "ping"), ==, 2);
  g_assert_cmpuint (kc_sim_server_get_ami_action_count (f->sim, "Logoff"), ==, 1);
}

/* A server without the MD5 challenge; the secret sent as it is; AMI
 * credentials of their own */
static void
test_plain_login (Fixture       *f,
                  gconstpointer  data)
{
  Block *block;

  kc_sim_server_set_ami_challenge (f->sim, FALSE);
  kc_sim_server_set_ami_credentials (f->sim, "cti", "ami-secret");
  f->raw = raw_connect (kc_sim_server_get_ami_port (f->sim));

  block = raw_action (f->raw, "Challenge", "AuthType", "MD5", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");
  block = raw_action (f->raw, "Login", "Username", KC_SIM_DEFAULT_USERNAME, "Secret",
                      KC_SIM_DEFAULT_PASSWORD, NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Error");
  block = raw_action (f->raw, "Login", "Username", "cti", "Secret", "ami-secret", NULL);
  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
}

static void
test_versions (void)
{
  static const struct
  {
    const char *name;
    const char *greeting;
  } versions[] = {
    { "1.8", "Asterisk Call Manager/1.1" },
    { "11", "Asterisk Call Manager/1.3" },
    { "18", "Asterisk Call Manager/7.0.3" },
  };
  KcSimAmiVersion version;

  g_assert_false (kc_sim_ami_version_from_name ("13", &version));
  g_assert_false (kc_sim_ami_version_from_name (NULL, &version));
  for (guint i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autoptr (KcSimServer) sim = kc_sim_server_new ();
      g_autoptr (GError) error = NULL;
      Raw *raw;

      g_assert_true (kc_sim_ami_version_from_name (versions[i].name, &version));
      kc_sim_server_set_ami_version (sim, version);
      kc_sim_server_listen_ami (sim, 0, &error);
      g_assert_no_error (error);
      raw = raw_connect (kc_sim_server_get_ami_port (sim));
      g_assert_cmpstr (raw->greeting, ==, versions[i].greeting);
      raw_free (raw);
    }
}

/* --- Event sequences */

/* "SIP/1001-0000002a" -> "1001" */
static char *
peer_of (const char *channel)
{
  const char *slash = strchr (channel, '/');
  const char *dash = strrchr (channel, '-');

  g_assert_nonnull (slash);
  g_assert_nonnull (dash);
  g_assert_cmpuint (strlen (dash + 1), ==, 8);
  return g_strndup (slash + 1, dash - slash - 1);
}

/* One line per event, short enough to read a sequence at a glance:
 * "Newchannel 1001 Down", "Dial Begin trunk>1001", "DialEnd trunk>1001
 * ANSWER", "Bridge Link trunk+1001", "BridgeEnter 1001", "Hangup 1001 16" */
static char *
summarize (Block *block)
{
  const char *event = block_get (block, "Event");
  g_autofree char *channel = NULL;
  g_autofree char *dest = NULL;

  if (block_get (block, "Channel") != NULL)
    channel = peer_of (block_get (block, "Channel"));
  if (strcmp (event, "Newchannel") == 0 || strcmp (event, "Newstate") == 0)
    return g_strdup_printf ("%s %s %s", event, channel, block_get (block, "ChannelStateDesc"));
  if (strcmp (event, "Hangup") == 0)
    return g_strdup_printf ("Hangup %s %s", channel, block_get (block, "Cause"));
  if (strcmp (event, "Dial") == 0 && strcmp (block_get (block, "SubEvent"), "Begin") == 0)
    {
      dest = peer_of (block_get (block, "Destination"));
      return g_strdup_printf ("Dial Begin %s>%s", channel, dest);
    }
  if (strcmp (event, "Dial") == 0)
    return g_strdup_printf ("Dial End %s %s", channel, block_get (block, "DialStatus"));
  if (strcmp (event, "DialBegin") == 0 || strcmp (event, "DialEnd") == 0)
    {
      dest = peer_of (block_get (block, "DestChannel"));
      return g_strdup_printf ("%s %s>%s%s%s", event, channel, dest,
                              block_get (block, "DialStatus") ? " " : "",
                              block_get (block, "DialStatus") ? block_get (block, "DialStatus")
                                                              : "");
    }
  if (strcmp (event, "Bridge") == 0)
    {
      g_autofree char *one = peer_of (block_get (block, "Channel1"));
      g_autofree char *two = peer_of (block_get (block, "Channel2"));

      return g_strdup_printf ("Bridge %s %s+%s", block_get (block, "Bridgestate"), one, two);
    }
  if (channel != NULL)
    return g_strdup_printf ("%s %s", event, channel);
  return g_strdup (event);
}

/* The events from the cursor on, until one matches `last` (a summary) */
static GPtrArray *
events_until (Raw        *raw,
              const char *last)
{
  GPtrArray *events = g_ptr_array_new ();

  for (;;)
    {
      Block *block = next_block (raw);
      g_autofree char *summary = summarize (block);

      g_assert_nonnull (block_get (block, "Event"));
      g_ptr_array_add (events, block);
      if (strcmp (summary, last) == 0)
        return events;
    }
}

static void
assert_sequence (GPtrArray         *events,
                 const char *const *expected)
{
  g_autoptr (GString) got = g_string_new (NULL);
  g_autoptr (GString) want = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      g_autofree char *summary = summarize (g_ptr_array_index (events, i));

      g_string_append_printf (got, "%s\n", summary);
    }
  for (guint i = 0; expected[i]; i++)
    g_string_append_printf (want, "%s\n", expected[i]);
  g_assert_cmpstr (got->str, ==, want->str);
}

static Block *
find_event (GPtrArray  *events,
            const char *summary)
{
  for (guint i = 0; i < events->len; i++)
    {
      g_autofree char *text = summarize (g_ptr_array_index (events, i));

      if (strcmp (text, summary) == 0)
        return g_ptr_array_index (events, i);
    }
  g_error ("No event %s", summary);
  return NULL;
}

/* Every event of the call is tied to it by Linkedid (not in 1.8), and each
 * channel keeps its own Uniqueid */
static void
assert_linked (Fixture    *f,
               GPtrArray  *events,
               const char *call_id)
{
  gboolean linked = f->version != KC_SIM_AMI_1_8;

  for (guint i = 0; i < events->len; i++)
    {
      Block *block = g_ptr_array_index (events, i);
      const char *event = block_get (block, "Event");

      g_assert_cmpstr (block_get (block, "Privilege"), ==, "call,all");
      if (strcmp (event, "Dial") == 0)
        {
          /* 1.8 and 11 spell it so */
          g_assert_cmpstr (block_get (block, "UniqueID"), ==, call_id);
          continue;
        }
      if (strcmp (event, "Bridge") == 0 || strcmp (event, "BridgeCreate") == 0
          || strcmp (event, "BridgeDestroy") == 0)
        continue;
      g_assert_nonnull (block_get (block, "Uniqueid"));
      if (linked)
        g_assert_cmpstr (block_get (block, "Linkedid"), ==, call_id);
      else
        g_assert_null (block_get (block, "Linkedid"));
    }
}

static gboolean
is_18 (Fixture *f)
{
  return f->version == KC_SIM_AMI_18;
}

/* An outside caller rings extension 1001, which answers; then both hang
 * up. Two channels: the trunk's (Ring) and 1001's (Down, then Ringing). */
static void
test_direct_call (Fixture       *f,
                  gconstpointer  data)
{
  static const char *const expected_11[] = {
    "Newchannel trunk Ring",
    "Newchannel 1001 Down",
    "Dial Begin trunk>1001",
    "Newstate 1001 Ringing",
    "Newstate 1001 Up",
    "Dial End trunk ANSWER",
    "Newstate trunk Up",
    "Bridge Link trunk+1001",
    "Bridge Unlink trunk+1001",
    "Hangup 1001 16",
    "Hangup trunk 16",
    NULL,
  };
  static const char *const expected_18[] = {
    "Newchannel trunk Ring",
    "Newchannel 1001 Down",
    "DialBegin trunk>1001",
    "Newstate 1001 Ringing",
    "Newstate 1001 Up",
    "DialEnd trunk>1001 ANSWER",
    "Newstate trunk Up",
    "BridgeCreate",
    "BridgeEnter trunk",
    "BridgeEnter 1001",
    "BridgeLeave 1001",
    "BridgeLeave trunk",
    "BridgeDestroy",
    "Hangup 1001 16",
    "Hangup trunk 16",
    NULL,
  };
  g_autoptr (GPtrArray) ringing = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *call_id = NULL;
  Block *block;

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, MOBILE_NAME, "1001", "Nodira"));
  /* The callee's channel comes 400 ms after the caller's */
  ringing = events_until (f->raw, "Newstate 1001 Ringing");
  kc_sim_server_answer_call (f->sim, call_id);
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  events = events_until (f->raw, "Hangup trunk 16");
  g_ptr_array_extend (ringing, events, NULL, NULL);
  assert_sequence (ringing, is_18 (f) ? expected_18 : expected_11);
  assert_linked (f, ringing, call_id);

  block = find_event (ringing, "Newchannel trunk Ring");
  g_assert_cmpstr (block_get (block, "Uniqueid"), ==, call_id);
  g_assert_cmpstr (block_get (block, "ChannelState"), ==, "4");
  g_assert_cmpstr (block_get (block, "CallerIDNum"), ==, MOBILE);
  g_assert_cmpstr (block_get (block, "CallerIDName"), ==, MOBILE_NAME);
  g_assert_cmpstr (block_get (block, "Exten"), ==, "1001");
  g_assert_true (g_str_has_prefix (block_get (block, "Channel"), "SIP/trunk-"));

  /* What the Kerio integration on record reads: the extension's channel
   * ringing in its context, with the caller as the connected line */
  block = find_event (ringing, "Newstate 1001 Ringing");
  g_assert_cmpstr (block_get (block, "ChannelState"), ==, "5");
  g_assert_cmpstr (block_get (block, "CallerIDNum"), ==, "1001");
  g_assert_cmpstr (block_get (block, "ConnectedLineNum"), ==, MOBILE);
  g_assert_cmpstr (block_get (block, "ConnectedLineName"), ==, MOBILE_NAME);
  g_assert_cmpstr (block_get (block, "Context"), ==, "sip-locals-callPermissions");
  g_assert_true (g_str_has_prefix (block_get (block, "Channel"), "SIP/1001-"));
  g_assert_cmpstr (block_get (block, "Uniqueid"), !=, call_id);

  block = find_event (ringing, "Newstate trunk Up");
  g_assert_cmpstr (block_get (block, "ConnectedLineNum"), ==, "1001");
  g_assert_cmpstr (block_get (block, "ConnectedLineName"), ==, "Nodira");

  block = find_event (ringing, "Hangup 1001 16");
  g_assert_cmpstr (block_get (block, "Cause-txt"), ==, "Normal Clearing");

  if (is_18 (f))
    {
      block = find_event (ringing, "DialBegin trunk>1001");
      g_assert_cmpstr (block_get (block, "DestUniqueid"),
                       ==, block_get (find_event (ringing, "Newchannel 1001 Down"), "Uniqueid"));
      g_assert_cmpstr (block_get (block, "DestLinkedid"), ==, call_id);
      g_assert_cmpstr (block_get (block, "DialString"), ==, "1001");
      g_assert_cmpstr (block_get (find_event (ringing, "BridgeEnter 1001"), "BridgeUniqueid"),
                       ==, block_get (find_event (ringing, "BridgeCreate"), "BridgeUniqueid"));
    }
  else
    {
      block = find_event (ringing, "Dial Begin trunk>1001");
      g_assert_cmpstr (block_get (block, "DestUniqueID"),
                       ==, block_get (find_event (ringing, "Newchannel 1001 Down"), "Uniqueid"));
      g_assert_cmpstr (block_get (block, "Dialstring"), ==, "1001");
    }
}

/* Extension 1001 calls out; nobody answers (19), then the same line is
 * busy (17). The outside end is the trunk's channel, ringing. */
static void
test_outgoing_unanswered (Fixture       *f,
                          gconstpointer  data)
{
  static const char *const missed_11[] = {
    "Newchannel 1001 Ring",
    "Newchannel trunk Down",
    "Dial Begin 1001>trunk",
    "Newstate trunk Ringing",
    "Dial End 1001 NOANSWER",
    "Hangup trunk 19",
    "Hangup 1001 19",
    NULL,
  };
  static const char *const missed_18[] = {
    "Newchannel 1001 Ring",
    "Newchannel trunk Down",
    "DialBegin 1001>trunk",
    "Newstate trunk Ringing",
    "DialEnd 1001>trunk NOANSWER",
    "Hangup trunk 19",
    "Hangup 1001 19",
    NULL,
  };
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GPtrArray) busy = NULL;
  g_autofree char *call_id = NULL;
  Block *block;

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "1001", "Nodira", MOBILE, NULL));
  events = events_until (f->raw, "Newstate trunk Ringing");
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  g_ptr_array_extend_and_steal (events, events_until (f->raw, "Hangup 1001 19"));
  assert_sequence (events, is_18 (f) ? missed_18 : missed_11);
  assert_linked (f, events, call_id);

  block = find_event (events, "Newchannel 1001 Ring");
  g_assert_cmpstr (block_get (block, "Context"), ==, "sip-locals-callPermissions");
  g_assert_cmpstr (block_get (block, "Exten"), ==, MOBILE);
  block = find_event (events, "Newstate trunk Ringing");
  g_assert_cmpstr (block_get (block, "CallerIDNum"), ==, MOBILE);
  g_assert_cmpstr (block_get (block, "CallerIDName"), ==, "<unknown>");
  g_assert_cmpstr (block_get (block, "ConnectedLineNum"), ==, "1001");
  g_assert_cmpstr (block_get (find_event (events, "Hangup 1001 19"), "Cause-txt"),
                   ==, "User alerting, no answer");

  g_free (call_id);
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "1001", "Nodira", MOBILE, NULL));
  busy = events_until (f->raw, "Newstate trunk Ringing");
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_BUSY);
  g_ptr_array_unref (busy);
  busy = events_until (f->raw, "Hangup 1001 17");
  g_assert_cmpuint (busy->len, ==, 3);
  g_assert_cmpstr (block_get (g_ptr_array_index (busy, 0), "DialStatus"), ==, "BUSY");
  g_assert_cmpstr (block_get (g_ptr_array_index (busy, 1), "Cause-txt"), ==, "User busy");
}

/* Ring group 800 rings 1001, 1002 and 1003; 1002 answers. The others are
 * hung up as answered elsewhere, at once; the call goes on. */
static void
test_ring_group (Fixture       *f,
                 gconstpointer  data)
{
  static const char *const expected_11[] = {
    "Newchannel trunk Ring",
    "Newchannel 1001 Down",
    "Dial Begin trunk>1001",
    "Newstate 1001 Ringing",
    "Newchannel 1002 Down",
    "Dial Begin trunk>1002",
    "Newstate 1002 Ringing",
    "Newchannel 1003 Down",
    "Dial Begin trunk>1003",
    "Newstate 1003 Ringing",
    "Newstate 1002 Up",
    "Dial End trunk ANSWER",
    "Dial End trunk CANCEL",
    "Hangup 1001 26",
    "Dial End trunk CANCEL",
    "Hangup 1003 26",
    "Newstate trunk Up",
    "Bridge Link trunk+1002",
    "Bridge Unlink trunk+1002",
    "Hangup 1002 16",
    "Hangup trunk 16",
    NULL,
  };
  static const char *const expected_18[] = {
    "Newchannel trunk Ring",
    "Newchannel 1001 Down",
    "DialBegin trunk>1001",
    "Newstate 1001 Ringing",
    "Newchannel 1002 Down",
    "DialBegin trunk>1002",
    "Newstate 1002 Ringing",
    "Newchannel 1003 Down",
    "DialBegin trunk>1003",
    "Newstate 1003 Ringing",
    "Newstate 1002 Up",
    "DialEnd trunk>1002 ANSWER",
    "DialEnd trunk>1001 CANCEL",
    "Hangup 1001 26",
    "DialEnd trunk>1003 CANCEL",
    "Hangup 1003 26",
    "Newstate trunk Up",
    "BridgeCreate",
    "BridgeEnter trunk",
    "BridgeEnter 1002",
    "BridgeLeave 1002",
    "BridgeLeave trunk",
    "BridgeDestroy",
    "Hangup 1002 16",
    "Hangup trunk 16",
    NULL,
  };
  const char *const extensions[] = { "1001", "1002", "1003", NULL };
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *call_id = NULL;
  Block *block;

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_group_call (f->sim, MOBILE, NULL, "800", extensions));
  events = events_until (f->raw, "Newstate 1003 Ringing");
  g_assert_true (kc_sim_server_answer_call_at (f->sim, call_id, "1002"));
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  g_ptr_array_extend_and_steal (events, events_until (f->raw, "Hangup trunk 16"));
  assert_sequence (events, is_18 (f) ? expected_18 : expected_11);
  assert_linked (f, events, call_id);

  block = find_event (events, "Newchannel trunk Ring");
  g_assert_cmpstr (block_get (block, "Exten"), ==, "800");
  g_assert_cmpstr (block_get (find_event (events, "Hangup 1001 26"), "Cause-txt"),
                   ==, "Answered elsewhere");
  block = find_event (events, "Newstate trunk Up");
  g_assert_cmpstr (block_get (block, "ConnectedLineNum"), ==, "1002");
}

/* A call between extensions shows one row in Status.getCalls, but has two
 * channels on the AMI; a missed one ends with 19 on both */
static void
test_internal_call (Fixture       *f,
                    gconstpointer  data)
{
  static const char *const expected_11[] = {
    "Newchannel 1002 Ring",
    "Newchannel 1001 Down",
    "Dial Begin 1002>1001",
    "Newstate 1001 Ringing",
    "Dial End 1002 NOANSWER",
    "Hangup 1001 19",
    "Hangup 1002 19",
    NULL,
  };
  static const char *const expected_18[] = {
    "Newchannel 1002 Ring",
    "Newchannel 1001 Down",
    "DialBegin 1002>1001",
    "Newstate 1001 Ringing",
    "DialEnd 1002>1001 NOANSWER",
    "Hangup 1001 19",
    "Hangup 1002 19",
    NULL,
  };
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (JsonNode) truth = NULL;
  g_autofree char *call_id = NULL;
  JsonObject *call;

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "1002", "Timur", "1001", "Nodira"));
  events = events_until (f->raw, "Newstate 1001 Ringing");
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  g_ptr_array_extend_and_steal (events, events_until (f->raw, "Hangup 1002 19"));
  assert_sequence (events, is_18 (f) ? expected_18 : expected_11);
  assert_linked (f, events, call_id);

  truth = kc_sim_server_get_ground_truth (f->sim, NULL, 4);
  call = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (truth), "calls"), 0);
  g_assert_cmpint (json_object_get_int_member (call, "legs"), ==, 1);
}

/* A call ended before its callee's channel was due has the caller's
 * channel only; one answered at once has the callee's, briefly */
static void
test_short_calls (Fixture       *f,
                  gconstpointer  data)
{
  static const char *const gone[] = {
    "Newchannel trunk Ring",
    "Hangup trunk 21",
    NULL,
  };
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *call_id = NULL;

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_FAILED);
  events = events_until (f->raw, "Hangup trunk 21");
  assert_sequence (events, gone);

  g_free (call_id);
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  kc_sim_server_answer_call (f->sim, call_id);
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  g_ptr_array_unref (events);
  events = events_until (f->raw, "Hangup trunk 16");
  g_assert_nonnull (find_event (events, "Newchannel 1001 Down"));
  g_assert_nonnull (find_event (events, "Newstate 1001 Up"));
  g_assert_nonnull (find_event (events, "Hangup 1001 16"));
  /* Nothing comes later from the timer of the callee's channel */
  kc_test_run_for (0.6);
  g_assert_cmpuint (f->raw->blocks->len, ==, f->raw->cursor);
}

/* Events: call leaves the system events out; Events: on (or none) takes
 * them; Events: off takes none. Every session gets every call's events. */
static void
test_event_filter (Fixture       *f,
                   gconstpointer  data)
{
  Raw *all = raw_connect (kc_sim_server_get_ami_port (f->sim));
  Raw *none = raw_connect (kc_sim_server_get_ami_port (f->sim));
  g_autofree char *call_id = NULL;
  guint n_call = 0;
  gboolean peer_status = FALSE;
  gboolean fully_booted = FALSE;

  connect_and_login (f, "call");
  raw_login_ok (all, "on");
  raw_login_ok (none, "off");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  g_ptr_array_unref (events_until (f->raw, "Hangup trunk 19"));
  g_ptr_array_unref (events_until (all, "Hangup trunk 19"));

  for (guint i = 0; i < all->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (all->blocks, i);
      const char *event = block_get (block, "Event");

      if (g_strcmp0 (event, "PeerStatus") == 0)
        {
          peer_status = TRUE;
          g_assert_cmpstr (block_get (block, "Peer"), ==, "SIP/1001");
          g_assert_cmpstr (block_get (block, "Privilege"), ==, "system,all");
        }
      else if (g_strcmp0 (event, "FullyBooted") == 0)
        fully_booted = TRUE;
      else if (event != NULL)
        n_call++;
    }
  g_assert_true (peer_status);
  g_assert_true (fully_booted);
  g_assert_cmpuint (n_call, ==, 2);
  for (guint i = 0; i < f->raw->blocks->len; i++)
    {
      const char *event = block_get (g_ptr_array_index (f->raw->blocks, i), "Event");

      g_assert_cmpstr (event, !=, "PeerStatus");
      g_assert_cmpstr (event, !=, "FullyBooted");
    }

  /* The Ping's answer comes after whatever events were sent before it */
  g_assert_cmpstr (block_get (raw_action (none, "Ping", NULL), "Response"), ==, "Success");
  for (guint i = 0; i < none->blocks->len; i++)
    g_assert_null (block_get (g_ptr_array_index (none->blocks, i), "Event"));

  raw_free (all);
  raw_free (none);
}

/* --- Faults */

static void
test_faults (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) request = NULL;
  g_autoptr (JsonNode) answer = NULL;
  g_autoptr (JsonNode) stats = NULL;
  JsonObject *ami;
  Raw *second;
  Block *block;
  guint16 port = kc_sim_server_get_ami_port (f->sim);

  connect_and_login (f, "call");
  second = raw_connect (port);
  raw_login_ok (second, "call");
  g_assert_cmpuint (kc_sim_server_get_ami_session_count (f->sim), ==, 2);

  /* Drop: both connections go at once */
  request = json_from_string ("{\"action\":\"amiDrop\"}", &error);
  answer = kc_sim_server_control (f->sim, request, &error);
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (f->raw->closed && second->closed, 10);
  g_assert_cmpuint (kc_sim_server_get_ami_session_count (f->sim), ==, 0);
  raw_free (second);
  raw_free (g_steal_pointer (&f->raw));

  /* Refuse: the right secret fails */
  g_clear_pointer (&request, json_node_unref);
  g_clear_pointer (&answer, json_node_unref);
  request = json_from_string ("{\"action\":\"amiRefuse\",\"refuse\":true}", &error);
  answer = kc_sim_server_control (f->sim, request, &error);
  g_assert_no_error (error);
  f->raw = raw_connect (port);
  block = raw_login (f->raw, KC_SIM_DEFAULT_USERNAME, KC_SIM_DEFAULT_PASSWORD, "call");
  g_assert_cmpstr (block_get (block, "Message"), ==, "Authentication failed");
  kc_sim_server_set_ami_refuse (f->sim, FALSE);
  raw_login_ok (f->raw, "call");

  /* Hang: actions are read, nothing is answered */
  g_clear_pointer (&request, json_node_unref);
  g_clear_pointer (&answer, json_node_unref);
  request = json_from_string ("{\"action\":\"amiHang\",\"hang\":true}", &error);
  answer = kc_sim_server_control (f->sim, request, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (f->raw->connection)),
                             "Action: Ping\r\n\r\n", 16, NULL, NULL, &error);
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Ping") == 1, 10);
  kc_test_run_for (0.3);
  g_assert_cmpuint (f->raw->blocks->len, ==, f->raw->cursor);
  g_assert_false (f->raw->closed);
  kc_sim_server_set_ami_hang (f->sim, FALSE);

  g_clear_pointer (&request, json_node_unref);
  request = json_from_string ("{\"action\":\"amiHang\"}", &error);
  g_assert_null (kc_sim_server_control (f->sim, request, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_clear_pointer (&request, json_node_unref);
  request = json_from_string ("{\"action\":\"stats\"}", &error);
  stats = kc_sim_server_control (f->sim, request, &error);
  g_assert_no_error (error);
  ami = json_object_get_object_member (json_node_get_object (stats), "ami");
  g_assert_cmpint (json_object_get_int_member (ami, "connections"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (ami, "sessions"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (ami, "logins"), ==, 3);
  g_assert_cmpint (
    json_object_get_int_member (json_object_get_object_member (ami, "actions"), "Login"), ==, 4);
}

/* A reboot: the hang-ups of the calls cut off go out, the connections
 * close, nothing listens for a while, then the same port serves again */
static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GSocketConnection) refused = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *call_id = NULL;
  guint16 port = kc_sim_server_get_ami_port (f->sim);

  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  g_ptr_array_unref (events_until (f->raw, "Newstate 1001 Ringing"));
  g_assert_true (kc_sim_server_restart (f->sim, 0.5));
  g_ptr_array_unref (events_until (f->raw, "Hangup trunk 19"));
  KC_TEST_WAIT_UNTIL (f->raw->closed, 10);

  g_socket_client_connect_to_host_async (client, "127.0.0.1", port, NULL, kc_test_store_result,
                                         &result);
  KC_TEST_AWAIT (result);
  refused = g_socket_client_connect_to_host_finish (client, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);

  KC_TEST_WAIT_UNTIL (!kc_sim_server_is_down (f->sim), 10);
  g_clear_pointer (&f->raw, raw_free);
  connect_and_login (f, "call");
  g_assert_cmpuint (kc_sim_server_get_ami_port (f->sim), ==, port);
}

/* The same call in 1.8 carries no Linkedid */
static void
test_no_linkedid (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (GPtrArray) events = NULL;
  g_autofree char *call_id = NULL;

  connect_and_login (f, "call");
  g_assert_cmpstr (f->raw->greeting, ==, "Asterisk Call Manager/1.1");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, MOBILE, NULL, "1001", NULL));
  g_ptr_array_unref (events_until (f->raw, "Newstate 1001 Ringing"));
  kc_sim_server_answer_call (f->sim, call_id);
  kc_sim_server_end_call (f->sim, call_id, KC_SIM_CDR_NO_ANSWER);
  events = events_until (f->raw, "Hangup trunk 16");
  for (guint i = 0; i < f->raw->blocks->len; i++)
    g_assert_null (block_get (g_ptr_array_index (f->raw->blocks, i), "Linkedid"));
}

/* PJSIP names its channels so */
static void
test_pjsip (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *call_id = NULL;
  Block *block;

  kc_sim_server_set_ami_channel_tech (f->sim, "PJSIP");
  connect_and_login (f, "call");
  call_id = g_strdup (kc_sim_server_add_call (f->sim, "1001", NULL, "1002", NULL));
  block = next_block (f->raw);
  g_assert_true (g_str_has_prefix (block_get (block, "Channel"), "PJSIP/1001-"));
}

/* --- kerio-sim */

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **line = user_data;
  g_autoptr (GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL,
                                                     &error);
  g_assert_no_error (error);
  g_assert_nonnull (*line);
}

static void
test_executable (void)
{
  const char *binary = g_getenv ("KERIO_SIM");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GSubprocess) bad = NULL;
  g_autoptr (GDataInputStream) output = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *line = NULL;
  const char *address;
  guint64 port;
  Raw *raw;
  Block *block;

  if (binary == NULL)
    g_error ("KERIO_SIM must name the kerio-sim executable to test");
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary, "--port", "0",
                              "--traffic", "0", "--ami-port", "0", "--ami-version", "18",
                              "--ami-user", "cti", "--ami-secret", "s3cret", NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (output, G_PRIORITY_DEFAULT, NULL, line_read, &first);
  KC_TEST_WAIT_UNTIL (first != NULL, 20);
  g_assert_true (g_str_has_prefix (first, "Kerio Operator simulator listening on http://"));
  g_data_input_stream_read_line_async (output, G_PRIORITY_DEFAULT, NULL, line_read, &line);
  KC_TEST_WAIT_UNTIL (line != NULL, 20);
  g_assert_true (
    g_str_has_prefix (line, "Asterisk Manager Interface simulator listening on 127.0.0.1:"));
  g_assert_true (g_str_has_suffix (line, " (user cti, Asterisk 18)"));
  address = strstr (line, "127.0.0.1:") + strlen ("127.0.0.1:");
  port = g_ascii_strtoull (address, NULL, 10);
  g_assert_cmpuint (port, >, 0);

  raw = raw_connect ((guint16) port);
  g_assert_cmpstr (raw->greeting, ==, "Asterisk Call Manager/7.0.3");
  block = raw_login (raw, "cti", "s3cret", "call");
  g_assert_cmpstr (block_get (block, "Response"), ==, "Success");
  raw_free (raw);

  g_subprocess_send_signal (process, SIGTERM);
  g_subprocess_wait_async (process, NULL, kc_test_store_result, &waited);
  KC_TEST_AWAIT (waited);
  g_subprocess_wait_finish (process, waited, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);

  bad = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, binary, "--port", "0",
                          "--ami-port", "0", "--ami-version", "13", NULL);
  g_assert_no_error (error);
  g_subprocess_wait (bad, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (bad), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  static const struct
  {
    const char      *name;
    KcSimAmiVersion  version;
  } families[] = {
    { "11", KC_SIM_AMI_11 },
    { "18", KC_SIM_AMI_18 },
  };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, version, func) \
  g_test_add ("/sim-ami/" path, Fixture, GINT_TO_POINTER (version), fixture_set_up, func, \
              fixture_tear_down)

  ADD ("login", KC_SIM_AMI_11, test_greeting_and_login);
  ADD ("plain-login", KC_SIM_AMI_11, test_plain_login);
  g_test_add_func ("/sim-ami/versions", test_versions);
  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      g_autofree char *direct = g_strdup_printf ("/sim-ami/%s/direct-call", families[i].name);
      g_autofree char *outgoing = g_strdup_printf ("/sim-ami/%s/outgoing-unanswered",
                                                   families[i].name);
      g_autofree char *group = g_strdup_printf ("/sim-ami/%s/ring-group", families[i].name);
      g_autofree char *internal = g_strdup_printf ("/sim-ami/%s/internal-call",
                                                   families[i].name);
      gpointer version = GINT_TO_POINTER (families[i].version);

      g_test_add (direct, Fixture, version, fixture_set_up, test_direct_call, fixture_tear_down);
      g_test_add (outgoing, Fixture, version, fixture_set_up, test_outgoing_unanswered,
                  fixture_tear_down);
      g_test_add (group, Fixture, version, fixture_set_up, test_ring_group, fixture_tear_down);
      g_test_add (internal, Fixture, version, fixture_set_up, test_internal_call,
                  fixture_tear_down);
    }
  ADD ("1.8/no-linkedid", KC_SIM_AMI_1_8, test_no_linkedid);
  ADD ("short-calls", KC_SIM_AMI_11, test_short_calls);
  ADD ("event-filter", KC_SIM_AMI_11, test_event_filter);
  ADD ("pjsip", KC_SIM_AMI_18, test_pjsip);
  ADD ("faults", KC_SIM_AMI_11, test_faults);
  ADD ("restart", KC_SIM_AMI_11, test_restart);
  g_test_add_func ("/sim-ami/executable", test_executable);

  return g_test_run ();
}
