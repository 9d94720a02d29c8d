/** Schemas of register and login. */
import { t } from "elysia";
import { PASSWORD_LENGTH } from "../../../identity/accounts.service";
import { authErrors, commonErrors, Envelope, ErrorEnvelope } from "../../envelope";
import { CreatedKey, TierSchema } from "../keys/model";

const Email = t.String({ maxLength: 320, description: "E-mail address (trimmed and lower-cased)." });
const Password = t.String({ maxLength: 1024, description: `${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters.` });

export const RegisterBody = t.Object({
  email: Email,
  password: Password,
  tos_accepted: t.Boolean({ description: "Must be true: acceptance of the terms of service." }),
});
export const LoginBody = t.Object({ email: Email, password: Password });

const SessionFields = {
  token: t.String({ description: "JWT (HS256) for the dashboard endpoints: Authorization: Bearer <token>." }),
  token_expires_at: t.Integer({ description: "ms epoch when the token expires." }),
  user_id: t.String(),
  email: t.String(),
  plan: TierSchema,
};

export const RegisterData = t.Object({ ...SessionFields, api_key: CreatedKey.properties.api_key, key: CreatedKey.properties.key });
export const LoginData = t.Object(SessionFields);

const errors = { ...commonErrors, 401: authErrors[401], 429: authErrors[429], 503: authErrors[503] };
export const registerResponses = { 201: Envelope(RegisterData), ...errors, 409: ErrorEnvelope };
export const loginResponses = { 200: Envelope(LoginData), ...errors };
