/* kc-test-bus.h: a D-Bus session bus of the test's own
 *
 * A test that touches the session bus runs on a private one (GTestDBus)
 * that can start no service at all: under dbus-run-session the bus offers
 * whatever the machine has installed for activation, and a notification
 * daemon such as dunst, started by one test's app, then holds the name
 * the next test's fake server stands in for. Here only the test's own
 * services and children are on the bus.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdlib.h>

#include <gio/gio.h>

static GTestDBus *kc_test_bus;
/* The connection g_bus_get() gives everyone in the process, held from the
 * start so that it stays the one set up in kc_test_bus_up() */
static GDBusConnection *kc_test_bus_session;

/* g_test_dbus_down() would wait for the shared session connection to be
 * finalized, which never happens once libadwaita has made its settings
 * proxy; the process is ending anyway, so the bus is only stopped. */
static inline void
kc_test_bus_down (void)
{
  g_test_dbus_stop (kc_test_bus);
}

/* Call first in main(), before anything connects to the session bus. The
 * test and every process it starts (they inherit DBUS_SESSION_BUS_ADDRESS)
 * are then on the private bus until the test exits. */
static inline void
kc_test_bus_up (void)
{
  g_autoptr (GError) error = NULL;
  /* GTestDBus unsets DISPLAY, for tests that must not reach a desktop; ours
   * draw on the display they were started on (Xvfb). XDG_RUNTIME_DIR, which
   * it unsets too, stays unset: nothing the tests start needs it. */
  g_autofree char *display = g_strdup (g_getenv ("DISPLAY"));

  kc_test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (kc_test_bus);
  if (display)
    g_setenv ("DISPLAY", display, TRUE);
  /* No accessibility bus can be started here, and GTK warns without one
   * unless told that there is none. */
  g_setenv ("GTK_A11Y", "none", TRUE);

  kc_test_bus_session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  /* Otherwise the connection would end the process with SIGTERM when the
   * bus stops at exit. */
  g_dbus_connection_set_exit_on_close (kc_test_bus_session, FALSE);
  atexit (kc_test_bus_down);
}

/* Who holds `name` on the bus, in words: "pid 1234 (dunst)" */
static inline char *
kc_test_bus_describe_owner (GDBusConnection *connection,
                            const char      *name)
{
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *comm_path = NULL;
  g_autofree char *comm = NULL;
  guint32 pid;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  if (reply == NULL)
    return g_strdup ("a process the bus cannot name");
  g_variant_get (reply, "(u)", &pid);
  comm_path = g_strdup_printf ("/proc/%u/comm", pid);
  if (g_file_get_contents (comm_path, &comm, NULL, NULL))
    return g_strdup_printf ("pid %u (%s)", pid, g_strchomp (comm));
  return g_strdup_printf ("pid %u", pid);
}

/* Owns `name` on `connection` at once, or ends the test saying who has it:
 * a test that only thinks it stands in for a service would be talking to
 * someone else's. */
static inline void
kc_test_bus_own_name (GDBusConnection *connection,
                      const char      *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  guint32 result;

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", name,
                                                      G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       &error);
  if (reply == NULL)
    g_error ("Cannot ask for %s on the test's bus: %s", name, error->message);
  g_variant_get (reply, "(u)", &result);
  if (result != 1 /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */)
    {
      g_autofree char *owner = kc_test_bus_describe_owner (connection, name);

      g_error ("The test cannot own %s on its bus: %s has it", name, owner);
    }
}
