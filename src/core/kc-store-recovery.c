/* kc-store-recovery.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-store"

#include <errno.h>
#include <glib/gstdio.h>

#include "kc-store-recovery.h"

KcStore *
kc_store_open_or_set_aside (const char  *path,
                            char       **moved_to,
                            GError     **error)
{
  g_autoptr (GError) open_error = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *aside = NULL;
  KcStore *store;

  if (moved_to)
    *moved_to = NULL;

  store = kc_store_open (path, &open_error);
  if (store || !g_error_matches (open_error, KC_STORE_ERROR, KC_STORE_ERROR_CORRUPT))
    {
      if (open_error)
        g_propagate_error (error, g_steal_pointer (&open_error));
      return store;
    }

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  aside = g_strdup_printf ("%s.unreadable-%s", path, stamp);
  if (g_rename (path, aside) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "The history database %s cannot be read (%s) and could not be moved aside: %s",
                   path, open_error->message, g_strerror (saved_errno));
      return NULL;
    }
  g_warning ("The history database %s could not be read (%s); it was moved to %s and the "
             "history will be rebuilt from Kerio Operator",
             path, open_error->message, aside);

  store = kc_store_open (path, error);
  if (store && moved_to)
    *moved_to = g_steal_pointer (&aside);
  return store;
}
