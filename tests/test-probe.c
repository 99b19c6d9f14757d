/* test-probe.c: kerio-cti --probe, the check a first real deployment runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/kc-probe.h"
#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "sim/kc-sim-server.h"

#define PASSWORD "Probe-Pa55word-42"

/* --- The shape of live calls, from answers written by hand --- */

static KcProbeCalls *
read_calls (const char *result)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (result, &error);

  g_assert_no_error (error);
  return kc_probe_calls_read (node);
}

static void
assert_statuses (KcProbeCalls      *calls,
                 const char *const *expected)
{
  g_assert_cmpuint (calls->statuses->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (g_ptr_array_index (calls->statuses, i), ==, expected[i]);
}

static void
test_dialect_field (void)
{
  g_autoptr (KcProbeCalls) calls = read_calls (
    "{\"calls\":[{\"id\":\"1765123456.42\",\"FROM\":{\"NUMBER\":\"+998901234567\"},"
    "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":\"0\",\"CALL_DURATION\":3},"
    "{\"id\":\"1765123456.43\",\"FROM\":{\"NUMBER\":\"+998901234567\"},"
    "\"TO\":{\"NUMBER\":\"1001\"},\"STATUS\":\"1\",\"CALL_DURATION\":2},"
    "{\"id\":\"1765123457.44\",\"FROM\":{\"NUMBER\":\"1002\"},"
    "\"TO\":{\"NUMBER\":\"1003\"},\"STATUS\":\"0\",\"CALL_DURATION\":1}],\"totalItems\":3}");

  g_assert_nonnull (calls);
  g_assert_cmpuint (calls->n_rows, ==, 3);
  g_assert_cmpstr (calls->id_member, ==, "id");
  assert_statuses (calls, (const char *const[]){ "\"0\"", "\"1\"", NULL });
  g_assert_false (calls->answered_duration);
  g_assert_cmpint (calls->dialect, ==, KC_PROBE_DIALECT_FIELD);
}

static void
test_dialect_sdk (void)
{
  g_autoptr (KcProbeCalls) calls = read_calls (
    "{\"calls\":[{\"ID\":\"17\",\"FROM\":{\"NUMBER\":\"+998901234567\",\"NAME\":\"Aziz\"},"
    "\"TO\":{\"NUMBER\":\"1001\",\"NAME\":\"Nodira\"},\"STATUS\":\"Ringing\","
    "\"ANSWERED_DURATION\":0,\"CALL_DURATION\":5}],\"totalItems\":1}");

  g_assert_cmpstr (calls->id_member, ==, "ID");
  assert_statuses (calls, (const char *const[]){ "\"Ringing\"", NULL });
  g_assert_true (calls->answered_duration);
  g_assert_cmpint (calls->dialect, ==, KC_PROBE_DIALECT_SDK);
}

static void
test_dialect_unknown (void)
{
  g_autoptr (KcProbeCalls) numbers = read_calls ("{\"calls\":[{\"ID\":\"1\",\"STATUS\":1},"
                                                 "{\"ID\":\"2\",\"STATUS\":0}]}");
  g_autoptr (KcProbeCalls) no_id = read_calls ("{\"CALLS\":[{\"status\":\"0\"}]}");
  g_autoptr (KcProbeCalls) empty = read_calls ("{\"calls\":[],\"totalItems\":0}");
  g_autoptr (KcProbeCalls) none = read_calls ("{\"callHistory\":[]}");

  /* Numbers are not the field dialect's strings: tell them apart */
  assert_statuses (numbers, (const char *const[]){ "1", "0", NULL });
  g_assert_cmpint (numbers->dialect, ==, KC_PROBE_DIALECT_UNKNOWN);
  g_assert_null (no_id->id_member);
  assert_statuses (no_id, (const char *const[]){ "\"0\"", NULL });
  g_assert_cmpint (no_id->dialect, ==, KC_PROBE_DIALECT_UNKNOWN);
  g_assert_cmpuint (empty->n_rows, ==, 0);
  g_assert_cmpint (empty->dialect, ==, KC_PROBE_DIALECT_UNKNOWN);
  g_assert_null (none);
}

/* --- The probe against the simulator --- */

typedef struct
{
  KcSimServer *sim;
  char        *url;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->sim = kc_sim_server_new ();
  kc_sim_server_set_credentials (f->sim, KC_SIM_DEFAULT_USERNAME, PASSWORD);
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
  f->url = kc_sim_server_get_endpoint_url (f->sim);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->sim);
  g_free (f->url);
}

/* ami: the AMI to try too, or NULL */
static KcProbe *
probe_with_ami (const char  *url,
                const char  *password,
                KcAmiClient *ami)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (KcKerioClient) client = kc_kerio_client_new (uri, KC_SIM_DEFAULT_USERNAME, password);
  g_autoptr (GAsyncResult) res = NULL;
  g_autoptr (GError) error = NULL;
  KcProbe *probe = kc_probe_new (client);

  kc_probe_set_ami (probe, ami, 2);

  kc_probe_run_async (probe, NULL, kc_test_store_result, &res);
  KC_TEST_AWAIT (res);
  g_assert_true (kc_probe_run_finish (probe, res, &error));
  g_assert_no_error (error);
  return probe;
}

static KcProbe *
probe (const char *url,
       const char *password)
{
  return probe_with_ami (url, password, NULL);
}

static void
assert_lines (KcProbe           *probe,
              const char *const *expected)
{
  const char *const *lines = kc_probe_get_lines (probe);

  for (guint i = 0; expected[i] != NULL || lines[i] != NULL; i++)
    if (g_strcmp0 (lines[i], expected[i]) != 0)
      {
        g_autofree char *all = g_strjoinv ("\n", (char **) lines);

        g_error ("line %u is “%s”, not “%s”; the report:\n%s", i, lines[i], expected[i], all);
      }
}

/* The first lines are these */
static void
assert_lines_start (KcProbe           *probe,
                    const char *const *expected)
{
  const char *const *lines = kc_probe_get_lines (probe);

  for (guint i = 0; expected[i] != NULL; i++)
    if (g_strcmp0 (lines[i], expected[i]) != 0)
      {
        g_autofree char *all = g_strjoinv ("\n", (char **) lines);

        g_error ("line %u is “%s”, not “%s”; the report:\n%s", i, lines[i], expected[i], all);
      }
}

static void
test_probe_sim (Fixture       *f,
                gconstpointer  data)
{
  gboolean field = GPOINTER_TO_INT (data) == KC_SIM_DIALECT_FIELD;
  g_autoptr (KcProbe) p = NULL;
  const char *const *lines;
  const char *call;

  kc_sim_server_set_dialect (f->sim, GPOINTER_TO_INT (data));
  kc_sim_server_add_cdr (f->sim, "c1", 1735732800, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_cdr (f->sim, "c2", 1735736400, "+998901234567", "1002", KC_SIM_CDR_ANSWERED,
                         65, 50);
  kc_sim_server_add_recording (f->sim, "r1", "1001", "+998901234567", 1735732810, 1);
  /* A call from outside, under way for a while: a row per channel in the
   * field dialect, one row in the SDK's; one call either way */
  call = kc_sim_server_add_call_started (f->sim, "+998935556677", NULL, "1001", NULL, 5);
  kc_sim_server_answer_call (f->sim, call);

  p = probe (f->url, PASSWORD);
  g_assert_true (kc_probe_get_succeeded (p));
  g_assert_null (kc_probe_get_login_error (p));
  g_assert_cmpuint (kc_probe_get_n_calls (p), ==, 1);
  lines = kc_probe_get_lines (p);
  assert_lines_start (p, (const char *const[]){
                           "Session.login: OK",
                           field ? "Status.getCalls: OK, 2 rows" : "Status.getCalls: OK, 1 row",
                           "CallHistory.get: OK, 1 row",
                           "Recordings.get: OK, 1 row",
                           "Recordings.downloadAudioContent: OK, it gave a download address "
                           "(nothing was downloaded)",
                           "Session.logout: OK",
                           NULL });
  /* What it saw: the dialect the simulator speaks */
  g_assert_cmpstr (lines[6], ==, field ? "Call identifier member: id" : "Call identifier member: ID");
  g_assert_cmpstr (lines[7], ==, field ? "STATUS values seen: \"1\"" : "STATUS values seen: \"Answered\"");
  g_assert_cmpstr (lines[8], ==, field ? "ANSWERED_DURATION: absent" : "ANSWERED_DURATION: present");
  g_assert_true (g_str_has_prefix (lines[9], field ? "Dialect: field " : "Dialect: sdk "));
  g_assert_cmpstr (lines[10], ==, "PBX clock: in step with ours (HTTP Date header)");
  g_assert_cmpstr (lines[11], ==, "Live calls: a poll every 2 s (set up AMI for instant pop-ups)");
  g_assert_null (lines[12]);
  /* Each method once, and the recording itself never */
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "CallHistory.get"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Recordings.downloadAudioContent"),
                    ==, 1);
  g_assert_cmpuint (kc_sim_server_get_download_count (f->sim), ==, 0);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Session.logout"), ==, 1);
}

static void
test_probe_quiet_pbx (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (KcProbe) p = probe (f->url, PASSWORD);

  g_assert_true (kc_probe_get_succeeded (p));
  assert_lines (p, (const char *const[]){
                     "Session.login: OK",
                     "Status.getCalls: OK, 0 rows",
                     "CallHistory.get: OK, 0 rows",
                     "Recordings.get: OK, 0 rows",
                     "Recordings.downloadAudioContent: not tried, there is no recording",
                     "Session.logout: OK",
                     "Live calls: no calls right now, so their shape is unknown; probe again "
                     "during a call",
                     "PBX clock: in step with ours (HTTP Date header)",
                     "Live calls: a poll every 2 s (set up AMI for instant pop-ups)",
                     NULL });
}

static void
test_probe_wrong_password (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (KcProbe) p = probe (f->url, "wrong");
  const char *const *lines = kc_probe_get_lines (p);

  g_assert_false (kc_probe_get_succeeded (p));
  g_assert_error ((GError *) kc_probe_get_login_error (p), KC_KERIO_ERROR, KC_KERIO_ERROR_AUTH);
  g_assert_true (g_str_has_prefix (lines[0], "Session.login: refused by the PBX: "));
  /* The PBX's own words */
  g_assert_nonnull (strstr (lines[0], "User name or password is incorrect."));
  g_assert_true (g_str_has_prefix (lines[1], "PBX clock: "));
  g_assert_null (lines[2]);
  g_assert_cmpuint (kc_sim_server_get_request_count (f->sim, "Status.getCalls"), ==, 0);
}

/* --- A PBX that lacks methods, by hand --- */

static void
lacking_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (JsonNode) root = json_from_string (body->data, NULL);
  const char *method = json_object_get_string_member (json_node_get_object (root), "method");
  g_autofree char *history = g_strdup_printf (
    "{\"callHistory\":[{\"ID\":\"a\",\"TIMESTAMP\":%" G_GINT64_FORMAT "}],\"totalItems\":1}",
    g_get_real_time () / G_USEC_PER_SEC - 100);
  const char *result = NULL;
  const char *error = NULL;
  g_autofree char *text = NULL;

  if (g_strcmp0 (method, "Session.login") == 0)
    result = "{\"token\":\"t\"}";
  else if (g_strcmp0 (method, "Status.getCalls") == 0)
    result = "{\"calls\":[{\"id\":\"1765123456.7\",\"STATUS\":\"0\"}],\"totalItems\":1}";
  else if (g_strcmp0 (method, "CallHistory.get") == 0 && user_data != NULL)
    result = history;
  else if (g_strcmp0 (method, "Session.logout") == 0)
    result = "{}";
  else if (g_strcmp0 (method, "Recordings.get") == 0)
    error = "{\"code\":1000,\"message\":\"Access to recordings denied.\"}";
  else
    error = "{\"code\":-32601,\"message\":\"Method not found.\"}";

  if (result != NULL)
    text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":%s}", result);
  else
    text = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":%s}", error);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json-rpc", SOUP_MEMORY_COPY, text,
                                    strlen (text));
  if (user_data != NULL)
    soup_message_headers_remove (soup_server_message_get_response_headers (msg), "Date");
}

static SoupServer *
lacking_server (gboolean  with_history,
                char    **url)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  soup_server_add_handler (server, KC_SIM_ENDPOINT_PATH, lacking_handler,
                           with_history ? GINT_TO_POINTER (1) : NULL, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  *url = g_strdup_printf ("http://127.0.0.1:%d" KC_SIM_ENDPOINT_PATH, g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

static void
test_probe_unknown_methods (void)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupServer) server = lacking_server (FALSE, &url);
  g_autoptr (KcProbe) p = probe (url, PASSWORD);
  const char *const *lines = kc_probe_get_lines (p);

  /* No history: the application cannot work here */
  g_assert_false (kc_probe_get_succeeded (p));
  g_assert_cmpstr (lines[0], ==, "Session.login: OK");
  g_assert_cmpstr (lines[1], ==, "Status.getCalls: OK, 1 row");
  g_assert_true (g_str_has_prefix (lines[2], "CallHistory.get: method unknown to this PBX: "));
  g_assert_nonnull (strstr (lines[2], "Method not found."));
  g_assert_true (g_str_has_prefix (lines[3], "Recordings.get: refused by the PBX: "));
  g_assert_nonnull (strstr (lines[3], "Access to recordings denied."));
  g_assert_cmpstr (lines[4], ==, "Recordings.downloadAudioContent: not tried, there is no "
                                 "recording");
  g_assert_cmpstr (lines[5], ==, "Session.logout: OK");
  g_assert_cmpstr (lines[6], ==, "Call identifier member: id");
  g_assert_cmpstr (lines[7], ==, "STATUS values seen: \"0\"");
  g_assert_cmpstr (lines[8], ==, "ANSWERED_DURATION: absent");
  g_assert_cmpstr (lines[9], ==, "Dialect: field (lower-case id, STATUS \"0\"/\"1\"), as public "
                                 "integrations read real appliances");
}

/* Without a Date header, the newest call record bounds the clock */
static void
test_probe_clock_from_record (void)
{
  g_autofree char *url = NULL;
  g_autoptr (SoupServer) server = lacking_server (TRUE, &url);
  g_autoptr (KcProbe) p = probe (url, PASSWORD);
  const char *const *lines = kc_probe_get_lines (p);
  guint n = g_strv_length ((char **) lines);

  g_assert_true (kc_probe_get_succeeded (p));
  g_assert_cmpstr (lines[2], ==, "CallHistory.get: OK, 1 row");
  g_assert_true (g_str_has_prefix (lines[n - 2], "PBX clock: no Date header; its newest call "
                                                 "record is dated 10"));
  g_assert_true (g_str_has_prefix (lines[n - 1], "Live calls: a poll every "));
}

/* With AMI set up, the report says whether it lets us in, and so where live
 * calls will come from; AMI refusing us leaves the probe a success (polls
 * still work) but says why pop-ups will not be instant */
static void
test_probe_ami (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (KcAmiClient) ami = NULL;
  g_autoptr (KcProbe) ok = NULL;
  g_autoptr (KcProbe) refused = NULL;
  g_autofree char *ok_line = NULL;
  const char *const *lines;
  guint n;

  g_assert_true (kc_sim_server_listen_ami (f->sim, 0, &error));
  ami = kc_ami_client_new ("127.0.0.1", kc_sim_server_get_ami_port (f->sim),
                           KC_SIM_DEFAULT_USERNAME, PASSWORD);
  ok = probe_with_ami (f->url, PASSWORD, ami);
  lines = kc_probe_get_lines (ok);
  n = g_strv_length ((char **) lines);
  ok_line = g_strdup_printf ("AMI (127.0.0.1:%u): OK, version ", kc_sim_server_get_ami_port (f->sim));
  g_assert_true (g_str_has_prefix (lines[6], ok_line));
  g_assert_cmpstr (lines[n - 1], ==,
                   "Live calls: from AMI, at once; Status.getCalls every 15 s to cross-check");
  g_assert_true (kc_probe_get_succeeded (ok));
  /* The probe's own session, logged off; the client's was never started */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_ami_action_count (f->sim, "Logoff") == 1, 5);
  g_assert_cmpint (kc_ami_client_get_state (ami), ==, KC_AMI_STATE_DISCONNECTED);

  kc_sim_server_set_ami_refuse (f->sim, TRUE);
  refused = probe_with_ami (f->url, PASSWORD, ami);
  lines = kc_probe_get_lines (refused);
  n = g_strv_length ((char **) lines);
  g_assert_nonnull (strstr (lines[6], "Authentication failed"));
  g_assert_cmpstr (lines[n - 1], ==,
                   "Live calls: a poll every 2 s (AMI does not answer; instant pop-ups are off)");
  g_assert_true (kc_probe_get_succeeded (refused));
}

/* --- kerio-cti --probe ------------------------------------------------ */

/* Runs it; the exit status. Never the password, on either stream. */
static int
run_cli (const char        *url,
         const char *const *args,
         const char *const *env,
         KcTestProc       **proc_out)
{
  g_autofree char *home = kc_test_make_tmpdir ();
  KcTestProc *proc = kc_test_proc_spawn (home, url, args, env);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = kc_test_proc_wait_exit (proc);

  out = kc_test_lines_join (proc->out);
  err = kc_test_lines_join (proc->err);
  if (strstr (out, PASSWORD) != NULL || strstr (err, PASSWORD) != NULL)
    g_error ("the password was printed:\n%s\n%s", out, err);
  kc_test_rm_rf (home);
  *proc_out = proc;
  return status;
}

static const char *const probe_args[] = { "--probe", NULL };
static const char *const password_env[] = { "KERIO_API_PASSWORD=" PASSWORD, NULL };

static void
test_cli_ok (Fixture       *f,
             gconstpointer  data)
{
  KcTestProc *proc = NULL;

  kc_sim_server_add_cdr (f->sim, "c1", 1735732800, "+998901234567", "1001", KC_SIM_CDR_ANSWERED,
                         65, 50);
  g_assert_cmpint (run_cli (f->url, probe_args, password_env, &proc), ==, 0);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (proc->out, 0), "Probing "));
  g_assert_cmpstr (g_ptr_array_index (proc->out, 1), ==, "Session.login: OK");
  g_assert_cmpstr (g_ptr_array_index (proc->out, 2), ==, "Status.getCalls: OK, 0 rows");
  g_assert_cmpstr (g_ptr_array_index (proc->out, 3), ==, "CallHistory.get: OK, 1 row");
  g_assert_true (kc_test_lines_have (proc->out, "Session.logout: OK"));
  g_assert_cmpuint (kc_test_lines_count (proc->out, ": OK"), ==, 5);
  kc_test_proc_free (proc);
}

static void
test_cli_wrong_password (Fixture       *f,
                         gconstpointer  data)
{
  KcTestProc *proc = NULL;

  kc_sim_server_set_credentials (f->sim, KC_SIM_DEFAULT_USERNAME, "another-one");
  g_assert_cmpint (run_cli (f->url, probe_args, password_env, &proc), ==, 1);
  g_assert_true (kc_test_lines_have (proc->out, "Session.login: refused by the PBX: "));
  g_assert_true (kc_test_lines_have (proc->out, "User name or password is incorrect."));
  kc_test_proc_free (proc);
}

static void
test_cli_unreachable (void)
{
  KcTestProc *proc = NULL;

  /* Nothing listens on port 1 */
  g_assert_cmpint (run_cli ("http://127.0.0.1:1", probe_args, password_env, &proc), ==, 1);
  g_assert_true (kc_test_lines_have (proc->out, "Session.login: failed: "));
  kc_test_proc_free (proc);
}

static void
test_cli_bad_settings (void)
{
  KcTestProc *proc = NULL;
  const char *const bad_host[] = { "KERIO_API_PASSWORD=" PASSWORD, "KERIO_PBX_HOST=pbx:port",
                                   NULL };

  g_assert_cmpint (run_cli (NULL, probe_args, bad_host, &proc), ==, 2);
  g_assert_cmpuint (proc->out->len, ==, 0);
  g_assert_cmpuint (proc->err->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (proc->err, 0), "KERIO_PBX_HOST"));
  kc_test_proc_free (proc);

  g_assert_cmpint (run_cli (NULL, probe_args, password_env, &proc), ==, 2);
  g_assert_cmpuint (proc->out->len, ==, 0);
  kc_test_proc_free (proc);
}

static void
test_cli_demo (void)
{
  KcTestProc *proc = NULL;
  const char *const args[] = { "--probe", "--demo", NULL };

  g_assert_cmpint (run_cli (NULL, args, NULL, &proc), ==, 0);
  g_assert_true (kc_test_lines_have (proc->out, "Recordings.downloadAudioContent: OK"));
  g_assert_true (kc_test_lines_have (proc->out, "Dialect: "));
  kc_test_proc_free (proc);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/probe/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/probe/dialect/field", test_dialect_field);
  g_test_add_func ("/probe/dialect/sdk", test_dialect_sdk);
  g_test_add_func ("/probe/dialect/unknown", test_dialect_unknown);
  g_test_add ("/probe/sim/field", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_FIELD), fixture_set_up,
              test_probe_sim, fixture_tear_down);
  g_test_add ("/probe/sim/sdk", Fixture, GINT_TO_POINTER (KC_SIM_DIALECT_SDK), fixture_set_up,
              test_probe_sim, fixture_tear_down);
  ADD ("quiet-pbx", test_probe_quiet_pbx);
  ADD ("ami", test_probe_ami);
  ADD ("wrong-password", test_probe_wrong_password);
  g_test_add_func ("/probe/unknown-methods", test_probe_unknown_methods);
  g_test_add_func ("/probe/clock-from-record", test_probe_clock_from_record);
  ADD ("cli/ok", test_cli_ok);
  ADD ("cli/wrong-password", test_cli_wrong_password);
  g_test_add_func ("/probe/cli/unreachable", test_cli_unreachable);
  g_test_add_func ("/probe/cli/bad-settings", test_cli_bad_settings);
  g_test_add_func ("/probe/cli/demo", test_cli_demo);

  return g_test_run ();
}
