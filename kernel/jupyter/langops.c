/* langops.c — the real language's kn_lang table. Kept in its own object so
 * that binaries which never call kn_lang_real (the handler tests) do not
 * pull the interpreter in. */
#include "langops.h"

kn_lang kn_lang_real(lang_state *L) {
    kn_lang t = {
        .L = L,
        .create = L ? NULL : lang_new,
        .execute = lang_execute,
        .eval_expression = lang_eval_expression,
        .interrupt = lang_interrupt,
        .interrupt_flag = lang_interrupt_flag,
        .clear_interrupt = lang_clear_interrupt,
        .complete = lang_complete,
        .inspect = lang_inspect,
        .is_complete = lang_is_complete,
        .info = lang_info,
        .result_clear = lang_result_clear,
        .bundle_clear = lang_bundle_clear,
        .completion_clear = lang_completion_clear,
    };
    return t;
}
