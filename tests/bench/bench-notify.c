/* bench-notify.c: the main loop's longest stall while a pop-up is shown
 * through a slow notification server, libnotify against KcNotifier
 *
 * A fake org.freedesktop.Notifications on a bus of the benchmark's own
 * (GTestDBus, which starts no service of the system's) answers Notify only
 * after 2 s, as a server that is starting up or busy does, and its other
 * methods at once. It runs in a thread with its own main context, so that
 * a main loop blocked in a synchronous call cannot hold its answer back.
 *
 * On the main loop a 1 ms timeout ticks. Half a second in, one pop-up of an
 * incoming call is requested:
 *   libnotify  notify_notification_show(), as an application using
 *              libnotify 0.8 shows one;
 *   kc         a KcCallTracker snapshot with a ringing call, which
 *              KcNotifier (connected to the tracker as in the app) pops up;
 *   none       nothing: the gaps this machine puts between ticks anyway.
 * The stall is the largest gap between two ticks in the 3 s after the
 * request. Each run is a process of its own: both start cold, as the app's
 * first call of the day does.
 *
 * usage: bench-notify libnotify|kc|none
 * RESULT stall_max_ms  the longest the main loop did not run
 * RESULT notify_ms     request -> the server has the Notify call (not with
 *                      none)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <libnotify/notify.h>

#include "core/kc-call-tracker.h"
#include "kc-bench-util.h"
#include "kc-test-bus.h"
#include "ui/kc-notifier.h"

#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define SERVER_DELAY_MS    2000
#define REQUEST_AFTER_MS   500
#define WINDOW_US          (3 * G_USEC_PER_SEC)
#define TICK_MS            1

static const char server_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/>"
  "<arg type='i' direction='in'/><arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "</method>"
  "<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "</interface></node>";

/* The slow server, in its own thread */

typedef struct
{
  GMutex        lock;
  GCond         cond;
  gboolean      ready;
  gboolean      stop;
  gint64        notify_at; /* monotonic µs of the first Notify, 0 before */
  GMainContext *context;
} Server;

static gboolean
answer_notify (gpointer user_data)
{
  g_dbus_method_invocation_return_value (user_data, g_variant_new ("(u)", 1));
  return G_SOURCE_REMOVE;
}

static void
server_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *path,
                    const char            *interface,
                    const char            *method,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  Server *s = user_data;

  if (g_str_equal (method, "Notify"))
    {
      g_autoptr (GSource) later = g_timeout_source_new (SERVER_DELAY_MS);

      g_mutex_lock (&s->lock);
      if (s->notify_at == 0)
        s->notify_at = g_get_monotonic_time ();
      g_mutex_unlock (&s->lock);
      g_source_set_callback (later, answer_notify, invocation, NULL);
      g_source_attach (later, s->context);
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", "persistence", NULL };

      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "slow", "bench", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable server_vtable = {
  .method_call = server_method_call,
};

static gpointer
server_thread (gpointer user_data)
{
  Server *s = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (server_xml, &error);
  g_autoptr (GDBusConnection) bus = NULL;
  gboolean stop = FALSE;

  g_assert_no_error (error);
  /* Calls to objects registered here are dispatched in this context */
  g_main_context_push_thread_default (s->context);
  bus = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (kc_test_bus),
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                                                | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, NOTIFICATIONS_PATH, node->interfaces[0], &server_vtable,
                                     s, NULL, &error);
  g_assert_no_error (error);
  kc_test_bus_own_name (bus, NOTIFICATIONS_NAME);

  g_mutex_lock (&s->lock);
  s->ready = TRUE;
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);

  while (!stop)
    {
      g_main_context_iteration (s->context, TRUE);
      g_mutex_lock (&s->lock);
      stop = s->stop;
      g_mutex_unlock (&s->lock);
    }
  g_dbus_connection_close_sync (bus, NULL, NULL);
  g_main_context_pop_thread_default (s->context);
  return NULL;
}

/* The main loop and the ways to pop up */

typedef struct
{
  const char    *mode;
  KcCallTracker *tracker;
  gint64         request_at; /* monotonic µs, 0 before the request */
  gint64         last_tick;
  gint64         stall_max;
  gboolean       done;
} Bench;

static gboolean
tick (gpointer user_data)
{
  Bench *b = user_data;
  gint64 now = g_get_monotonic_time ();

  /* The gap that spans the request counts: it is the request's own cost. */
  if (b->request_at != 0 && b->last_tick != 0)
    b->stall_max = MAX (b->stall_max, now - b->last_tick);
  b->last_tick = now;
  if (b->request_at != 0 && now - b->request_at >= WINDOW_US)
    b->done = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
show_with_libnotify (void)
{
  /* libnotify 0.8 declares no g_autoptr cleanup */
  NotifyNotification *popup;
  g_autoptr (GError) error = NULL;

  popup = notify_notification_new ("Incoming call", "+998901234567 → 1001", "uz.kerio.Cti");
  notify_notification_set_urgency (popup, NOTIFY_URGENCY_CRITICAL);
  notify_notification_set_timeout (popup, NOTIFY_EXPIRES_NEVER);
  if (!notify_notification_show (popup, &error))
    g_error ("libnotify: %s", error->message);
  g_object_unref (popup);
}

static void
show_with_tracker (KcCallTracker *tracker)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) kc_active_call_free);
  KcActiveCall *call = g_new0 (KcActiveCall, 1);

  call->id = g_strdup ("bench-1");
  call->from_number = g_strdup ("+998901234567");
  call->to_number = g_strdup ("1001");
  call->status = g_strdup ("Ringing");
  g_ptr_array_add (rows, call);
  kc_call_tracker_apply_snapshot (tracker, rows, g_get_real_time () / G_USEC_PER_SEC);
}

static gboolean
request (gpointer user_data)
{
  Bench *b = user_data;

  b->request_at = g_get_monotonic_time ();
  if (g_str_equal (b->mode, "libnotify"))
    show_with_libnotify ();
  else if (g_str_equal (b->mode, "kc"))
    show_with_tracker (b->tracker);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Server server = { 0 };
  Bench b = { 0 };
  GThread *thread;
  g_autoptr (KcKerioClient) client = NULL;
  g_autoptr (KcNotifier) notifier = NULL;
  g_autoptr (GUri) nowhere = NULL;
  guint ticker;

  if (argc != 2 || !g_strv_contains ((const char *const[]){ "libnotify", "kc", "none", NULL },
                                     argv[1]))
    {
      g_printerr ("usage: %s libnotify|kc|none\n", argv[0]);
      return 2;
    }
  b.mode = argv[1];
  kc_test_bus_up ();

  g_mutex_init (&server.lock);
  g_cond_init (&server.cond);
  server.context = g_main_context_new ();
  thread = g_thread_new ("slow-server", server_thread, &server);
  g_mutex_lock (&server.lock);
  while (!server.ready)
    g_cond_wait (&server.cond, &server.lock);
  g_mutex_unlock (&server.lock);

  if (g_str_equal (b.mode, "libnotify"))
    {
      if (!notify_init ("Kerio CTI"))
        g_error ("notify_init() failed");
    }
  else if (g_str_equal (b.mode, "kc"))
    {
      /* The tracker's client is never started: snapshots come from here. */
      nowhere = g_uri_parse ("http://127.0.0.1:9/admin/api/jsonrpc/", G_URI_FLAGS_NONE, NULL);
      client = kc_kerio_client_new (nowhere, "u", "p");
      b.tracker = kc_call_tracker_new (client, 1.0, "1001", 4);
      notifier = kc_notifier_new (b.tracker);
    }

  ticker = g_timeout_add (TICK_MS, tick, &b);
  g_timeout_add (REQUEST_AFTER_MS, request, &b);
  while (!b.done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (ticker);

  kc_bench_result ("stall_max_ms", b.stall_max / 1000.0);
  g_mutex_lock (&server.lock);
  if (!g_str_equal (b.mode, "none"))
    {
      if (server.notify_at == 0)
        g_error ("the server got no Notify within %d s of the request",
                 (int) (WINDOW_US / G_USEC_PER_SEC));
      kc_bench_result ("notify_ms", (server.notify_at - b.request_at) / 1000.0);
    }
  server.stop = TRUE;
  g_mutex_unlock (&server.lock);
  g_main_context_wakeup (server.context);
  g_thread_join (thread);
  g_main_context_unref (server.context);

  if (g_str_equal (b.mode, "libnotify"))
    notify_uninit ();
  g_clear_object (&notifier);
  g_clear_object (&b.tracker);
  return 0;
}
