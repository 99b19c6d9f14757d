/* kc-call-back-list.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-call-back-list"

#include "config.h"

#include <glib/gi18n.h>

#include "kc-call-back-list.h"

/* The times a row shows at most: the latest ones, after an ellipsis */
#define ATTEMPTS_SHOWN 6

struct _KcCallBackList
{
  GtkWidget       parent_instance;

  GtkWidget      *box;
  GtkLabel       *title;
  GtkLabel       *error_label;
  GtkStack       *stack;
  GtkListView    *list_view;

  KcFollowUp     *follow_up;
  GtkNoSelection *selection;
};

G_DEFINE_FINAL_TYPE (KcCallBackList, kc_call_back_list, GTK_TYPE_WIDGET)

char *
kc_format_attempt_time (gint64 unix_seconds)
{
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (unix_seconds);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int y1, m1, d1, y2, m2, d2;

  if (when == NULL)
    return g_strdup ("?");
  g_date_time_get_ymd (when, &y1, &m1, &d1);
  g_date_time_get_ymd (now, &y2, &m2, &d2);
  return g_date_time_format (when, y1 == y2 && m1 == m2 && d1 == d2 ? "%H:%M" : "%d.%m %H:%M");
}

/* "3 attempts: 09:12, 10:40, 14:05" */
static char *
attempts_text (KcCallBack *call_back)
{
  guint n = kc_call_back_get_n_attempts (call_back);
  g_autoptr (GString) times = g_string_new (NULL);

  if (n > ATTEMPTS_SHOWN)
    g_string_append (times, "…, ");
  for (guint i = n > ATTEMPTS_SHOWN ? n - ATTEMPTS_SHOWN : 0; i < n; i++)
    {
      g_autofree char *time = kc_format_attempt_time (kc_call_back_get_attempt (call_back, i));

      g_string_append_printf (times, "%s%s", time, i + 1 < n ? ", " : "");
    }
  /* TRANSLATORS: how many times a caller called without an answer since
   * they were last reached, then the times */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u attempt: %s", "%u attempts: %s", n),
                          n, times->str);
}

/* Row widgets, found again by name on bind */
enum { ROW_NUMBER, ROW_ATTEMPTS, ROW_DONE, N_ROW_PARTS };

static void
on_done_clicked (GtkButton   *button,
                 GtkListItem *item)
{
  KcCallBackList *self = g_object_get_data (G_OBJECT (item), "list");
  KcCallBack *call_back = gtk_list_item_get_item (item);
  g_autoptr (GError) error = NULL;

  if (call_back == NULL || self->follow_up == NULL)
    return;
  if (kc_follow_up_mark_done (self->follow_up, call_back, &error))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (_("Could not mark the call back done: %s"),
                                             error->message);

    gtk_label_set_text (self->error_label, text);
    gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
  }
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           KcCallBackList           *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *icon = gtk_image_new_from_icon_name ("call-missed-symbolic");
  GtkWidget **parts = g_new0 (GtkWidget *, N_ROW_PARTS);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  parts[ROW_NUMBER] = gtk_label_new (NULL);
  parts[ROW_ATTEMPTS] = gtk_label_new (NULL);
  parts[ROW_DONE] = gtk_button_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (parts[ROW_NUMBER]), 0);
  gtk_label_set_selectable (GTK_LABEL (parts[ROW_NUMBER]), TRUE);
  gtk_widget_add_css_class (parts[ROW_NUMBER], "heading");
  gtk_label_set_xalign (GTK_LABEL (parts[ROW_ATTEMPTS]), 0);
  gtk_label_set_wrap (GTK_LABEL (parts[ROW_ATTEMPTS]), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (parts[ROW_ATTEMPTS]), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (parts[ROW_ATTEMPTS], "dim-label");
  gtk_widget_add_css_class (parts[ROW_ATTEMPTS], "caption");
  gtk_widget_set_valign (parts[ROW_DONE], GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (parts[ROW_DONE], "flat");
  gtk_widget_add_css_class (parts[ROW_DONE], "circular");
  gtk_widget_set_tooltip_text (parts[ROW_DONE], _("Call back done"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (parts[ROW_DONE]),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Call back done"), -1);
  g_signal_connect (parts[ROW_DONE], "clicked", G_CALLBACK (on_done_clicked), item);

  gtk_widget_set_hexpand (text, TRUE);
  gtk_box_append (GTK_BOX (text), parts[ROW_NUMBER]);
  gtk_box_append (GTK_BOX (text), parts[ROW_ATTEMPTS]);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), parts[ROW_DONE]);

  g_object_set_data (G_OBJECT (item), "list", self);
  g_object_set_data_full (G_OBJECT (item), "parts", parts, g_free);
  gtk_list_item_set_child (item, box);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          KcCallBackList           *self)
{
  KcCallBack *call_back = gtk_list_item_get_item (item);
  GtkWidget **parts = g_object_get_data (G_OBJECT (item), "parts");
  g_autofree char *attempts = attempts_text (call_back);

  gtk_label_set_text (GTK_LABEL (parts[ROW_NUMBER]), kc_call_back_get_number (call_back));
  gtk_label_set_text (GTK_LABEL (parts[ROW_ATTEMPTS]), attempts);
}

/* A row activated: the caller's last missed call, in the history */
static void
on_activate (GtkListView    *list_view,
             guint           position,
             KcCallBackList *self)
{
  g_autoptr (KcCallBack) call_back =
    g_list_model_get_item (G_LIST_MODEL (self->follow_up), position);

  if (call_back != NULL && kc_call_back_get_call_id (call_back) != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "app.show-call", "s",
                                kc_call_back_get_call_id (call_back));
}

static void
update_page (KcCallBackList *self)
{
  guint n = self->follow_up ? g_list_model_get_n_items (G_LIST_MODEL (self->follow_up)) : 0;

  if (n == 0)
    gtk_label_set_text (self->title, _("To call back"));
  else
    {
      /* TRANSLATORS: the heading over the callers to call back, how many */
      g_autofree char *title = g_strdup_printf (_("To call back (%u)"), n);

      gtk_label_set_text (self->title, title);
    }
  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

void
kc_call_back_list_set_follow_up (KcCallBackList *self,
                                 KcFollowUp     *follow_up)
{
  g_return_if_fail (KC_IS_CALL_BACK_LIST (self));
  g_return_if_fail (KC_IS_FOLLOW_UP (follow_up));

  if (self->follow_up == follow_up)
    return;
  if (self->follow_up)
    g_signal_handlers_disconnect_by_data (self->follow_up, self);
  g_set_object (&self->follow_up, follow_up);
  g_clear_object (&self->selection);
  self->selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (follow_up)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_object (follow_up, "items-changed", G_CALLBACK (update_page), self,
                           G_CONNECT_SWAPPED);
  update_page (self);
}

static void
kc_call_back_list_dispose (GObject *object)
{
  KcCallBackList *self = KC_CALL_BACK_LIST (object);

  if (self->follow_up)
    g_signal_handlers_disconnect_by_data (self->follow_up, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), KC_TYPE_CALL_BACK_LIST);
  g_clear_object (&self->selection);
  g_clear_object (&self->follow_up);

  G_OBJECT_CLASS (kc_call_back_list_parent_class)->dispose (object);
}

static void
kc_call_back_list_class_init (KcCallBackListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kc_call_back_list_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/uz/kerio/Cti/kc-call-back-list.ui");
  gtk_widget_class_bind_template_child (widget_class, KcCallBackList, box);
  gtk_widget_class_bind_template_child (widget_class, KcCallBackList, title);
  gtk_widget_class_bind_template_child (widget_class, KcCallBackList, error_label);
  gtk_widget_class_bind_template_child (widget_class, KcCallBackList, stack);
  gtk_widget_class_bind_template_child (widget_class, KcCallBackList, list_view);
}

static void
kc_call_back_list_init (KcCallBackList *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (on_activate), self);
}
