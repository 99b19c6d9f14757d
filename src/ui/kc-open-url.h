/* kc-open-url.h: a web page in the user's browser
 *
 * Through GTK's launcher (gtk_show_uri_full()), which inside Flatpak asks
 * the desktop's OpenURI portal. http and https only: a URL that came from a
 * CRM's answer must not open a local file nor start the handler of another
 * scheme; anything else is refused and logged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* parent: the window the browser comes up over, or NULL */
void kc_open_url (GtkWindow  *parent,
                  const char *url);

G_END_DECLS
