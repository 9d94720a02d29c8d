/** Schemas of the operator routes. */
import { t } from "elysia";
import type { UserRecord } from "../../../store/ports";
import { authErrors, commonErrors, Envelope } from "../../envelope";
import { CreatedKey, TierSchema } from "../keys/model";

export const UserView = t.Object({ id: t.String(), email: t.String(), plan: TierSchema, created_at: t.Integer() });
/** A user as the admin routes show it (never the password hash). */
export const userView = (u: UserRecord) => ({ id: u.id, email: u.email, plan: u.plan, created_at: u.createdAt });

export const UsersQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: t.Optional(t.Integer({ minimum: 0, default: 0 })),
  email: t.Optional(t.String({ maxLength: 320, description: "Only the user with this e-mail." })),
});
export const UserParams = t.Object({ user: t.String({ maxLength: 320, description: "User id (usr_…) or e-mail." }) });
export const PlanBody = t.Object({ plan: TierSchema });
export const AdminKeyBody = t.Object({ tier: TierSchema, name: t.Optional(t.String({ maxLength: 64 })) });

const errors = { ...commonErrors, 401: authErrors[401] };
export const usersResponses = { 200: Envelope(t.Object({ users: t.Array(UserView) })), ...errors };
export const planResponses = { 200: Envelope(t.Object({ user: UserView, previous_plan: TierSchema })), ...errors };
export const adminKeyResponses = { 201: Envelope(t.Object({ ...CreatedKey.properties, user: UserView, plan_raised: t.Boolean() })), ...errors };
