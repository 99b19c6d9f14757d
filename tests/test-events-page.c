/* test-events-page.c: the events page in a real browser
 *
 * `kerio-cti --headless --listen` runs against the simulator, which this
 * test scripts; Debian's Chromium, headless, opens the page kerio-cti
 * serves, and the test reads the page's DOM over the DevTools protocol
 * (JSON over a WebSocket, spoken with libsoup) while calls ring, are
 * answered, end, and while kerio-cti goes away and comes back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kc-test-headless.h"
#include "kc-test-util.h"
#include "kc-test-ws.h"
#include "sim/kc-sim-server.h"

#define CHROMIUM "/usr/bin/chromium"
#define SERVING "Serving the call events at ws://127.0.0.1:"
#define DEVTOOLS "DevTools listening on ws://127.0.0.1:"

/* What the page shows, read from its DOM in one go */
#define PAGE_STATE_SCRIPT                                                                \
  "(() => {"                                                                             \
  "  const $ = (id) => document.getElementById(id);"                                     \
  "  return JSON.stringify({"                                                            \
  "    status: $('status').dataset.state,"                                               \
  "    statusText: $('status').textContent,"                                             \
  "    popup: !$('popup').hidden,"                                                       \
  "    title: $('popup-title').textContent,"                                             \
  "    number: $('popup-number').textContent,"                                           \
  "    extension: $('popup-extension').textContent,"                                     \
  "    state: $('popup-state').textContent,"                                             \
  "    rows: Array.from(document.querySelectorAll('#calls tbody tr'))"                   \
  "            .map((row) => row.dataset.callId + ' ' + row.dataset.state)"              \
  "  });"                                                                                \
  "})()"

typedef struct
{
  KcSimServer *sim;
  char        *home;
  KcTestProc  *cti;
  guint16      port;
  GSubprocess *browser;
  GPtrArray   *browser_err; /* its stderr, line by line */
  gboolean     browser_err_closed;
  char        *profile;
  KcTestWs    *devtools;
  guint        next_id;
} Fixture;

/* --- kerio-cti --------------------------------------------------------- */

static guint16
serving_port (KcTestProc *proc)
{
  const char *at = NULL;
  g_autofree char *digits = NULL;
  guint64 port = 0;

  for (gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC; at == NULL;)
    {
      for (guint i = 0; i < proc->err->len && at == NULL; i++)
        at = strstr (g_ptr_array_index (proc->err, i), SERVING);
      if (at == NULL && (proc->exited || g_get_monotonic_time () > deadline))
        {
          kc_test_proc_dump (proc, "kerio-cti");
          g_error ("kerio-cti did not serve the events");
        }
      if (at == NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  at += strlen (SERVING);
  digits = g_strndup (at, strspn (at, "0123456789"));
  g_assert_true (g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT16, &port, NULL));
  return (guint16) port;
}

static void
start_cti (Fixture *f,
           guint16  port)
{
  g_autofree char *url = kc_sim_server_get_endpoint_url (f->sim);
  g_autofree char *listen = g_strdup_printf ("--listen=127.0.0.1:%u", port);

  f->cti = kc_test_proc_spawn (f->home, url,
                               (const char *const[]){ "--headless", listen, NULL }, NULL);
  f->port = serving_port (f->cti);
}

/* --- Chromium ---------------------------------------------------------- */

static void
browser_line_read (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Fixture *f = user_data;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, NULL);

  if (line == NULL)
    {
      f->browser_err_closed = TRUE;
      g_object_unref (source);
      return;
    }
  g_ptr_array_add (f->browser_err, line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       browser_line_read, f);
}

/* Its own process group, so that its helpers end with it; and it dies with
 * the test */
static void
browser_child_setup (gpointer user_data)
{
  setpgid (0, 0);
  kc_test_die_with_parent (NULL);
}

static void
start_browser (Fixture    *f,
               const char *url)
{
  g_autoptr (GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *profile_option = NULL;
  g_autoptr (GError) error = NULL;
  GDataInputStream *err;

  if (!g_file_test (CHROMIUM, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("%s is needed to test the events page in a browser: install the Debian package "
             "chromium",
             CHROMIUM);
  f->profile = kc_test_make_tmpdir ();
  profile_option = g_strdup_printf ("--user-data-dir=%s", f->profile);
  /* Nothing of the test user's own: its home, caches and settings */
  g_subprocess_launcher_setenv (launcher, "HOME", f->profile, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->profile, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", f->profile, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, browser_child_setup, NULL, NULL);
  f->browser = g_subprocess_launcher_spawn (launcher, &error, CHROMIUM, "--headless=new",
                                            "--no-sandbox", "--disable-gpu", "--disable-quic",
                                            "--no-first-run", "--no-default-browser-check",
                                            "--disable-background-networking",
                                            "--disable-component-update", "--disable-sync",
                                            "--disable-dev-shm-usage",
                                            "--password-store=basic", profile_option,
                                            "--remote-debugging-port=0", url, NULL);
  g_assert_no_error (error);
  f->browser_err = g_ptr_array_new_with_free_func (g_free);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (f->browser));
  g_data_input_stream_read_line_async (err, G_PRIORITY_DEFAULT, NULL, browser_line_read, f);
}

static const char *
devtools_line (Fixture *f)
{
  for (guint i = 0; i < f->browser_err->len; i++)
    if (strstr (g_ptr_array_index (f->browser_err, i), DEVTOOLS))
      return strstr (g_ptr_array_index (f->browser_err, i), DEVTOOLS);
  return NULL;
}

/* The DevTools WebSocket of the tab showing url, from /json/list */
static char *
page_target (guint16     devtools_port,
             const char *url)
{
  g_autofree char *list_url = g_strdup_printf ("http://127.0.0.1:%u/json/list", devtools_port);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", list_url);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *targets;

  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  root = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  targets = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *target = json_array_get_object_element (targets, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (target, "type", ""), "page") == 0
          && g_str_has_prefix (json_object_get_string_member_with_default (target, "url", ""), url))
        return g_strdup (json_object_get_string_member (target, "webSocketDebuggerUrl"));
    }
  return NULL;
}

static void
connect_devtools (Fixture    *f,
                  const char *url)
{
  g_autofree char *target = NULL;
  g_autofree char *digits = NULL;
  const char *line = NULL;
  guint64 port = 0;

  KC_TEST_WAIT_UNTIL ((line = devtools_line (f)) != NULL || f->browser_err_closed, 60);
  if (line == NULL)
    {
      for (guint i = 0; i < f->browser_err->len; i++)
        g_printerr ("%s\n", (const char *) g_ptr_array_index (f->browser_err, i));
      g_error ("Chromium did not open its DevTools port");
    }
  line += strlen (DEVTOOLS);
  digits = g_strndup (line, strspn (line, "0123456789"));
  g_assert_true (g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT16, &port, NULL));
  /* The tab is listed once it has started loading */
  for (gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
       (target = page_target ((guint16) port, url)) == NULL;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      kc_test_run_for (0.1);
    }
  f->devtools = kc_test_ws_connect (target, NULL, NULL);
}

static char *evaluate (Fixture    *f,
                       const char *script);

/* The tab is listed before the page is in it */
static void
wait_loaded (Fixture *f)
{
  for (gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;;)
    {
      g_autofree char *state =
        evaluate (f, "document.readyState === 'complete' && document.getElementById('status') "
                     "? 'loaded' : 'loading'");

      if (strcmp (state, "loaded") == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      kc_test_run_for (0.1);
    }
}

/* Runs a script in the page; its value, a string */
static char *
evaluate (Fixture    *f,
          const char *script)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) request = NULL;
  g_autofree char *text = NULL;
  guint id = ++f->next_id;
  g_autofree char *id_member = g_strdup_printf ("\"id\":%u,", id);
  JsonObject *result = NULL;
  JsonNode *answer = NULL;
  char *value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, id);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, "Runtime.evaluate");
  json_builder_set_member_name (builder, "params");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, script);
  json_builder_set_member_name (builder, "returnByValue");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  request = json_builder_get_root (builder);
  text = json_to_string (request, FALSE);
  kc_test_ws_send (f->devtools, text);

  /* The answer carries the id; events of the page may come in between */
  for (gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC; answer == NULL;)
    {
      for (guint i = 0; i < f->devtools->messages->len && answer == NULL; i++)
        {
          const char *message = g_ptr_array_index (f->devtools->messages, i);

          if (strstr (message, id_member))
            {
              answer = json_from_string (message, NULL);
              g_ptr_array_remove_index (f->devtools->messages, i);
            }
        }
      g_assert_false (f->devtools->closed);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (answer == NULL)
        g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (JSON_NODE_HOLDS_OBJECT (answer));
  result = json_object_get_object_member (json_node_get_object (answer), "result");
  g_assert_nonnull (result);
  if (json_object_has_member (result, "exceptionDetails"))
    g_error ("The page's script failed: %s", json_to_string (answer, TRUE));
  value = g_strdup (json_object_get_string_member (json_object_get_object_member (result,
                                                                                  "result"),
                                                   "value"));
  json_node_unref (answer);
  return value;
}

/* --- What the page shows ----------------------------------------------- */

typedef struct
{
  char     *status;      /* "connecting", "connected", "disconnected" */
  char     *status_text;
  gboolean  popup;
  char     *title;
  char     *number;
  char     *extension;
  char     *state;
  char     *rows;        /* "id state" per row, joined by "; " */
} Page;

static void
page_clear (Page *page)
{
  g_free (page->status);
  g_free (page->status_text);
  g_free (page->title);
  g_free (page->number);
  g_free (page->extension);
  g_free (page->state);
  g_free (page->rows);
  memset (page, 0, sizeof *page);
}

static void
read_page (Fixture *f,
           Page    *page)
{
  g_autofree char *json = evaluate (f, PAGE_STATE_SCRIPT);
  g_autoptr (JsonNode) root = json_from_string (json, NULL);
  JsonObject *o = json_node_get_object (root);
  JsonArray *rows = json_object_get_array_member (o, "rows");
  GString *joined = g_string_new (NULL);

  page_clear (page);
  page->status = g_strdup (json_object_get_string_member (o, "status"));
  page->status_text = g_strdup (json_object_get_string_member (o, "statusText"));
  page->popup = json_object_get_boolean_member (o, "popup");
  page->title = g_strdup (json_object_get_string_member (o, "title"));
  page->number = g_strdup (json_object_get_string_member (o, "number"));
  page->extension = g_strdup (json_object_get_string_member (o, "extension"));
  page->state = g_strdup (json_object_get_string_member (o, "state"));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_string_append_printf (joined, "%s%s", i ? "; " : "", json_array_get_string_element (rows, i));
  page->rows = g_string_free (joined, FALSE);
}

/* Reads the page until cond (an expression on `page`) holds; the page as
 * last read says what it showed when the wait fails */
#define WAIT_PAGE(f, page, cond)                                                         \
  G_STMT_START                                                                           \
  {                                                                                      \
    gint64 deadline_ = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;                    \
    for (read_page ((f), (page)); !(cond); read_page ((f), (page)))                      \
      {                                                                                  \
        if (g_get_monotonic_time () > deadline_)                                         \
          g_error ("The page never showed %s: status %s (%s), pop-up %s “%s” %s %s %s, "  \
                   "rows [%s]",                                                          \
                   #cond, (page)->status, (page)->status_text,                           \
                   (page)->popup ? "shown" : "hidden", (page)->title, (page)->number,    \
                   (page)->extension, (page)->state, (page)->rows);                      \
        kc_test_run_for (0.1);                                                           \
      }                                                                                  \
  }                                                                                      \
  G_STMT_END

static char *
row (const char *call_id,
     const char *state)
{
  return g_strdup_printf ("%s %s", call_id, state);
}

/* --- The test ---------------------------------------------------------- */

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->home = kc_test_make_tmpdir ();
  f->sim = kc_sim_server_new ();
  kc_sim_server_listen (f->sim, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->devtools)
    kc_test_ws_free (f->devtools);
  if (f->browser)
    {
      pid_t group = atoi (g_subprocess_get_identifier (f->browser));

      /* Chromium ends its helpers when asked; whatever is left goes too */
      kill (-group, SIGTERM);
      KC_TEST_WAIT_UNTIL (f->browser_err_closed, 20);
      kill (-group, SIGKILL);
      g_subprocess_wait (f->browser, NULL, NULL);
      g_object_unref (f->browser);
      g_ptr_array_unref (f->browser_err);
    }
  kc_test_rm_rf (f->profile);
  g_free (f->profile);
  if (f->cti)
    kc_test_proc_free (f->cti);
  g_clear_object (&f->sim);
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

static void
test_page_in_browser (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *page_url = NULL;
  g_autofree char *first = NULL;
  g_autofree char *missed = NULL;
  g_autofree char *waiting = NULL;
  g_autofree char *expected = NULL;
  Page page = { 0 };
  guint16 port;

  start_cti (f, 0);
  port = f->port;
  page_url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  start_browser (f, page_url);
  connect_devtools (f, page_url);
  wait_loaded (f);

  WAIT_PAGE (f, &page, g_strcmp0 (page.status, "connected") == 0);
  g_assert_cmpstr (page.status_text, ==, "Ulandi");
  g_assert_false (page.popup);
  g_assert_cmpstr (page.rows, ==, "");

  /* A call rings: the pop-up comes up with the number and extension */
  first = g_strdup (kc_sim_server_add_call (f->sim, "+998901234567", "Aziz Karimov", "1001",
                                            NULL));
  WAIT_PAGE (f, &page, page.popup && g_strcmp0 (page.state, "kelyapti") == 0);
  g_assert_cmpstr (page.title, ==, "Kiruvchi qoʻngʻiroq");
  g_assert_cmpstr (page.number, ==, "+998901234567");
  g_assert_cmpstr (page.extension, ==, "1001");
  expected = row (first, "kelyapti");
  g_assert_cmpstr (page.rows, ==, expected);

  /* Answered, then ended: the pop-up follows, the list too */
  kc_sim_server_answer_call (f->sim, first);
  WAIT_PAGE (f, &page, g_strcmp0 (page.state, "suhbatda") == 0);
  g_assert_true (page.popup);
  g_clear_pointer (&expected, g_free);
  expected = row (first, "suhbatda");
  g_assert_cmpstr (page.rows, ==, expected);
  kc_sim_server_end_call (f->sim, first, KC_SIM_CDR_NO_ANSWER);
  WAIT_PAGE (f, &page, g_strcmp0 (page.state, "yakunlandi") == 0);
  g_assert_cmpstr (page.rows, ==, "");

  /* One that nobody answers */
  missed = g_strdup (kc_sim_server_add_call (f->sim, "+998935550000", NULL, "1002", NULL));
  WAIT_PAGE (f, &page, g_strcmp0 (page.number, "+998935550000") == 0
                         && g_strcmp0 (page.state, "kelyapti") == 0);
  g_assert_cmpstr (page.extension, ==, "1002");
  kc_sim_server_end_call (f->sim, missed, KC_SIM_CDR_NO_ANSWER);
  WAIT_PAGE (f, &page, g_strcmp0 (page.state, "javobsiz") == 0);

  /* kerio-cti goes away while a call rings: the page says so, waits, and
   * when kerio-cti is back it shows the call that rings */
  waiting = g_strdup (kc_sim_server_add_call (f->sim, "+998907778899", NULL, "1003", NULL));
  WAIT_PAGE (f, &page, g_strcmp0 (page.number, "+998907778899") == 0);
  g_subprocess_send_signal (f->cti->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (f->cti), ==, 0);
  kc_test_proc_free (f->cti);
  f->cti = NULL;
  WAIT_PAGE (f, &page, g_strcmp0 (page.status, "disconnected") == 0);
  g_assert_true (g_str_has_prefix (page.status_text, "Aloqa uzildi"));
  g_assert_nonnull (strstr (page.status_text, "qayta ulanadi"));

  start_cti (f, port);
  WAIT_PAGE (f, &page, g_strcmp0 (page.status, "connected") == 0 && page.popup
                         && g_strcmp0 (page.number, "+998907778899") == 0);
  g_assert_cmpstr (page.state, ==, "kelyapti");
  g_clear_pointer (&expected, g_free);
  expected = row (waiting, "kelyapti");
  g_assert_cmpstr (page.rows, ==, expected);
  page_clear (&page);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/events-page/in-browser", Fixture, NULL, fixture_set_up, test_page_in_browser,
              fixture_tear_down);

  return g_test_run ();
}
