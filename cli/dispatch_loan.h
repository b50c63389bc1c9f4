/*
 * dispatch_loan.h — the request handlers of the loan register (借阅登记簿), of relatives
 * kept by admins, and of watermarked exports (`dangan export REF --pdf FILE`). The command
 * table (commands.c) names them; each follows request.h's contract.
 */
#ifndef DG_DISPATCH_LOAN_H
#define DG_DISPATCH_LOAN_H

#include "request.h"

dg_status dg_cmd_loan_request(dg_request *c, json_t **result);
dg_status dg_cmd_loan_list(dg_request *c, json_t **result);
dg_status dg_cmd_loan_approve(dg_request *c, json_t **result);
dg_status dg_cmd_loan_refuse(dg_request *c, json_t **result);
dg_status dg_cmd_loan_out(dg_request *c, json_t **result);
dg_status dg_cmd_loan_return(dg_request *c, json_t **result);
dg_status dg_cmd_loan_overdue(dg_request *c, json_t **result);
dg_status dg_cmd_loan_register(dg_request *c, json_t **result);
dg_status dg_cmd_user_relate(dg_request *c, json_t **result);
/* The record's page images, watermarked, for a PDF the client writes (render_loan.h). */
dg_status dg_cmd_export(dg_request *c, json_t **result);

#endif
