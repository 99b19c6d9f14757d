/* kc-history-row-menu.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-history-row-menu"

#include "config.h"

#include <glib/gi18n.h>

#include "kc-history-row-menu.h"

static void
add_item (GMenu      *menu,
          const char *label,
          const char *action,
          const char *party)
{
  g_autoptr (GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (party));
  g_menu_append_item (menu, item);
}

GMenuModel *
kc_history_row_menu_new (KcCallerContext *context,
                         const char      *party)
{
  GMenu *menu = g_menu_new ();
  g_autofree char *url = NULL;

  g_return_val_if_fail (party != NULL, NULL);

  if (context != NULL)
    url = kc_caller_context_get_crm_url (context, party);
  /* Absent when no CRM is set up, or it has no page for the number */
  if (url != NULL)
    add_item (menu, _("Open in CRM"), "history.open-crm", party);
  add_item (menu, _("Copy number"), "history.copy-number", party);
  return G_MENU_MODEL (menu);
}

static const char *
row_party (GtkWidget *widget)
{
  const char *party = g_object_get_data (G_OBJECT (widget), "party");

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL && party == NULL;
       child = gtk_widget_get_next_sibling (child))
    party = row_party (child);
  return party;
}

const char *
kc_history_row_party_at (GtkWidget *view,
                         double     x,
                         double     y)
{
  GtkWidget *row;

  g_return_val_if_fail (GTK_IS_WIDGET (view), NULL);

  row = gtk_widget_pick (view, x, y, GTK_PICK_DEFAULT);
  while (row != NULL && row != view && g_strcmp0 (gtk_widget_get_css_name (row), "row") != 0)
    row = gtk_widget_get_parent (row);
  return row != NULL && row != view ? row_party (row) : NULL;
}
