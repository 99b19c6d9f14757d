/* test-bad-input.c: `kerio-cti --headless` against a PBX that says no, is
 * not there, or is not a PBX at all
 *
 * The real executable runs as a child process; the simulator, or a plain
 * web server, lives in this test's main loop. What the operator reads on
 * stderr must name the problem, and the app must neither hammer the PBX nor
 * need a restart once the problem is gone.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "core/kc-call-tracker.h"
#include "kc-test-headless.h"
#include "kerio/kc-kerio-client.h"
#include "sim/kc-sim-server.h"

#define AUTH_ERROR "user name or password is incorrect"
#define NOT_KERIO "This does not look like a Kerio Operator API at"

typedef struct
{
  char *home;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->home = kc_test_make_tmpdir ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kc_test_rm_rf (f->home);
  g_free (f->home);
}

static void
stop (KcTestProc *proc)
{
  g_subprocess_send_signal (proc->process, SIGTERM);
  g_assert_cmpint (kc_test_proc_wait_exit (proc), ==, 0);
}

static void
assert_said_once (KcTestProc *proc,
                  const char *needle)
{
  guint n = kc_test_lines_count (proc->err, needle);

  if (n != 1)
    {
      g_autofree char *err = kc_test_lines_join (proc->err);

      g_error ("“%s” is on %u lines of stderr, not one:\n%s", needle, n, err);
    }
}

/* --- Wrong password ----------------------------------------------------- */

static void
test_wrong_password (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  KcTestProc *proc;
  gint64 first, second;

  kc_sim_server_listen (sim, 0, NULL, &error);
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (sim);
  proc = kc_test_proc_spawn (f->home, url, (const char *const[]){ "--headless", NULL },
                             (const char *const[]){ "KERIO_API_PASSWORD=not-the-password",
                                                    NULL });

  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (sim, "Session.login") == 1, 20);
  first = g_get_monotonic_time ();
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, AUTH_ERROR), 20);

  /* Polling every 0.1 s, and still one login and one error in 5 s */
  kc_test_run_for (5);
  g_assert_cmpuint (kc_sim_server_get_request_count (sim, "Session.login"), ==, 1);
  g_assert_cmpuint (kc_sim_server_get_request_count (sim, "Status.getCalls"), ==, 0);
  assert_said_once (proc, AUTH_ERROR);

  /* The next try comes on its own, and not before 30 s. */
  KC_TEST_WAIT_UNTIL (kc_sim_server_get_request_count (sim, "Session.login") == 2,
                      KC_KERIO_LOGIN_RETRY_DELAY + 60);
  second = g_get_monotonic_time ();
  g_assert_cmpint (second - first, >=, KC_KERIO_LOGIN_RETRY_DELAY * G_USEC_PER_SEC);
  /* The same error again is not news. */
  kc_test_run_for (1);
  assert_said_once (proc, AUTH_ERROR);

  stop (proc);
  g_assert_cmpuint (proc->out->len, ==, 0);
  kc_test_proc_free (proc);
}

/* --- Nobody there ------------------------------------------------------- */

/* A loopback port nobody listens on, for now */
static guint16
free_port (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  g_socket_close (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_connection_refused_then_recovers (Fixture       *f,
                                       gconstpointer  data)
{
  guint16 port = free_port ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autofree char *host = g_strdup_printf ("Cannot connect to 127.0.0.1:%u", port);
  g_autoptr (KcSimServer) sim = NULL;
  g_autoptr (GError) error = NULL;
  KcTestProc *proc;

  proc = kc_test_proc_spawn (f->home, url, (const char *const[]){ "--headless", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, host), 20);
  kc_test_run_for (3);
  g_assert_false (proc->exited);
  assert_said_once (proc, host);

  /* The PBX comes back where it was; nobody restarts the app. */
  sim = kc_sim_server_new ();
  kc_sim_server_listen (sim, port, NULL, &error);
  g_assert_no_error (error);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Connection to Kerio Operator restored"),
                      KC_TRACKER_BACKOFF_MAX + 10);
  kc_sim_server_add_call (sim, "+998901234567", NULL, "1001", NULL);
  KC_TEST_WAIT_UNTIL (proc->out->len == 1, 20);
  g_assert_nonnull (strstr (g_ptr_array_index (proc->out, 0), "\"event\":\"incoming_call\""));
  /* The history catches up as well. */
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "Synced"), 20);

  stop (proc);
  kc_test_proc_free (proc);
}

static void
test_unknown_host (Fixture       *f,
                   gconstpointer  data)
{
  const char *host = "pbx.kerio-cti-test.invalid";
  g_autofree char *expected = g_strdup_printf ("Cannot connect to %s:4021", host);
  KcTestProc *proc;

  proc = kc_test_proc_spawn (f->home, host, (const char *const[]){ "--headless", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, expected), 30);
  kc_test_run_for (3);
  g_assert_false (proc->exited);
  assert_said_once (proc, expected);
  stop (proc);
  kc_test_proc_free (proc);
}

/* --- A certificate that changed ------------------------------------------ */

static void
test_changed_certificate (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (GTlsCertificate) presented = kc_test_load_certificate ();
  g_autoptr (GTlsCertificate) pinned = kc_test_load_other_certificate ();
  g_autofree char *presented_hex = kc_tls_certificate_fingerprint (presented);
  g_autofree char *pinned_hex = kc_tls_certificate_fingerprint (pinned);
  g_autofree char *presented_text = kc_tls_fingerprint_format (presented_hex);
  g_autofree char *pinned_text = kc_tls_fingerprint_format (pinned_hex);
  g_autofree char *pin_env = g_strconcat ("KERIO_TLS_PIN=sha256:", pinned_text, NULL);
  g_autoptr (KcSimServer) sim = kc_sim_server_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  KcTestProc *proc;

  kc_sim_server_listen (sim, 0, presented, &error);
  g_assert_no_error (error);
  url = kc_sim_server_get_endpoint_url (sim);
  proc = kc_test_proc_spawn (f->home, url, (const char *const[]){ "--headless", NULL },
                             (const char *const[]){ pin_env, NULL });
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, "has changed"), 20);
  kc_test_run_for (2);
  assert_said_once (proc, "has changed");
  /* Both fingerprints on that one line, and the password never sent */
  assert_said_once (proc, pinned_text);
  assert_said_once (proc, presented_text);
  g_assert_cmpuint (kc_sim_server_get_request_count (sim, "Session.login"), ==, 0);
  stop (proc);
  kc_test_proc_free (proc);
}

/* --- Not a Kerio Operator ----------------------------------------------- */

static const char html_page[] =
  "<!DOCTYPE html><html><head><title>Welcome</title></head>"
  "<body><h1>It works!</h1></body></html>\n";

/* Some web server at the address: every path is a page, or is not found. */
static void
web_page (SoupServer        *server,
          SoupServerMessage *message,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  guint status = GPOINTER_TO_UINT (user_data);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "text/html", SOUP_MEMORY_STATIC, html_page,
                                    strlen (html_page));
}

static void
assert_not_kerio (Fixture    *f,
                  const char *url,
                  const char *endpoint)
{
  g_autofree char *expected = g_strdup_printf ("%s %s", NOT_KERIO, endpoint);
  KcTestProc *proc;

  proc = kc_test_proc_spawn (f->home, url, (const char *const[]){ "--headless", NULL }, NULL);
  KC_TEST_WAIT_UNTIL (kc_test_lines_have (proc->err, expected), 20);
  kc_test_run_for (2);
  assert_said_once (proc, expected);
  stop (proc);
  g_assert_cmpuint (proc->out->len, ==, 0);
  kc_test_proc_free (proc);
}

static void
test_not_kerio (Fixture       *f,
                gconstpointer  data)
{
  const guint statuses[] = { SOUP_STATUS_OK, SOUP_STATUS_NOT_FOUND };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr (SoupServer) server = soup_server_new (NULL, NULL);
      g_autoptr (GError) error = NULL;
      g_autofree char *url = NULL;
      g_autofree char *endpoint = NULL;
      GSList *uris;

      soup_server_add_handler (server, NULL, web_page, GUINT_TO_POINTER (statuses[i]), NULL);
      soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
      g_assert_no_error (error);
      uris = soup_server_get_uris (server);
      url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
      endpoint = g_strconcat (url, "/admin/api/jsonrpc/", NULL);
      assert_not_kerio (f, url, endpoint);
    }

  /* A Kerio Operator behind a proxy that answers with its own error pages
   * once logged in */
  {
    g_autoptr (KcSimServer) sim = kc_sim_server_new ();
    g_autoptr (GError) error = NULL;
    g_autofree char *url = NULL;

    kc_sim_server_listen (sim, 0, NULL, &error);
    g_assert_no_error (error);
    kc_sim_server_inject_fault (sim, KC_SIM_FAULT_HTML, 100000);
    url = kc_sim_server_get_endpoint_url (sim);
    assert_not_kerio (f, url, url);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/bad-input/wrong-password", test_wrong_password);
  ADD ("/bad-input/connection-refused-then-recovers", test_connection_refused_then_recovers);
  ADD ("/bad-input/unknown-host", test_unknown_host);
  ADD ("/bad-input/changed-certificate", test_changed_certificate);
  ADD ("/bad-input/not-kerio", test_not_kerio);
#undef ADD

  return g_test_run ();
}
