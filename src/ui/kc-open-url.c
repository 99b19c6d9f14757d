/* kc-open-url.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-open-url"

#include "core/kc-crm.h"
#include "kc-open-url.h"

static void
on_shown (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autofree char *url = user_data;
  g_autoptr (GError) error = NULL;

  if (!gtk_show_uri_full_finish (source ? GTK_WINDOW (source) : NULL, result, &error))
    g_message ("Could not open %s in the browser: %s", url, error->message);
}

void
kc_open_url (GtkWindow  *parent,
             const char *url)
{
  g_return_if_fail (parent == NULL || GTK_IS_WINDOW (parent));

  if (!kc_crm_is_web_url (url))
    {
      g_message ("Not opening %s: only http and https addresses are opened", url);
      return;
    }
  gtk_show_uri_full (parent, url, GDK_CURRENT_TIME, NULL, on_shown, g_strdup (url));
}
