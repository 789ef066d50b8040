/** Credentials: who a call is made by (principal.ts) and how a subscriber token is checked (subscriber-tokens.ts). */
export {
  SERVICE_PRINCIPAL,
  SubscriberTokenError,
  type Principal,
  type ServicePrincipal,
  type SubscriberPrincipal,
  type SubscriberTokenVerifier,
} from "./principal.js";
export { createSubscriberTokenVerifier, type SubscriberTokenOptions } from "./subscriber-tokens.js";
