/**
 * Lighter REST wire schemas for accounts: account, accountsByL1Address, liquidations, pnl,
 * positionFunding (reference §B.2 and §E, SDK `openapi.json`). Strict vs accepted forms: see
 * `protocol.common.ts`. Money is USDC as decimal strings with 6 decimals.
 */
import { Type as T, type Static } from "@sinclair/typebox";
import { Bool, Dec, Envelope, Int, NullableList, Num, Str, optionals } from "./protocol.common.ts";

const PositionCore = {
  market_id: Int,
  symbol: Str,
  /** The account's leverage choice in **percent**: "5.00" = 20×. */
  initial_margin_fraction: Str,
  open_order_count: Int,
  pending_order_count: Int,
  position_tied_order_count: Int,
  /** 1 long, -1 short (0 when flat). */
  sign: Int,
  /** Unsigned base size. */
  position: Dec,
  avg_entry_price: Dec,
  /** size × mark, unsigned. */
  position_value: Dec,
  unrealized_pnl: Dec,
  realized_pnl: Dec,
  /** `"0"` when there is none; may carry more digits than the market precision. */
  liquidation_price: Dec,
  /** 0 cross, 1 isolated. */
  margin_mode: Int,
  allocated_margin: Dec,
};
const PositionExtras = { margin_set_flag: Int, total_discount: Str };
/** A position (one-way net model: one per market). */
export const AccountPosition = T.Object({
  ...PositionCore,
  ...PositionExtras,
  /** Running total (SDK: optional). */
  total_funding_paid_out: T.Optional(Str),
});
export type AccountPosition = Static<typeof AccountPosition>;
export const AccountPositionIn = T.Object({
  ...PositionCore,
  ...optionals({ ...PositionExtras, total_funding_paid_out: Str }),
});
export type AccountPositionIn = Static<typeof AccountPositionIn>;

const AssetBalanceCore = { symbol: Str, asset_id: Int, balance: Dec, locked_balance: Dec };
const AssetBalanceExtras = {
  margin_mode: T.Union([T.Literal("enabled"), T.Literal("disabled")]),
  margin_balance: Dec,
  multiplier: Str,
};
/** A spot / multi-asset balance (USDC is asset 3). */
export const AccountAsset = T.Object({ ...AssetBalanceCore, ...AssetBalanceExtras });
export type AccountAsset = Static<typeof AccountAsset>;
export const AccountAssetIn = T.Object({ ...AssetBalanceCore, ...optionals(AssetBalanceExtras) });
export type AccountAssetIn = Static<typeof AccountAssetIn>;

/** A public-pool share held by the account. */
export const PublicPoolShare = T.Object({
  public_pool_index: Int,
  shares_amount: Int,
  entry_usdc: Str,
  principal_amount: Str,
  entry_timestamp: Int,
});
export type PublicPoolShare = Static<typeof PublicPoolShare>;

/** `pool_info` (public pools only). */
export const PublicPoolInfo = T.Object({
  status: Int,
  operator_fee: Str,
  min_operator_share_rate: Str,
  total_shares: Int,
  operator_shares: Int,
  annual_percentage_yield: Num,
  sharpe_ratio: Num,
  daily_returns: T.Array(T.Object({ timestamp: Int, daily_return: Num })),
  share_prices: T.Array(T.Object({ timestamp: Int, share_price: Num })),
  strategies: T.Array(T.Object({ collateral: Str })),
});
export type PublicPoolInfo = Static<typeof PublicPoolInfo>;

/** Fields of the plain `Account` (accountsByL1Address rows) the client relies on. */
const AccountCore = {
  code: Int,
  /** 0 main/standard, 1 sub-account (also the fee tier per NT). */
  account_type: Int,
  index: Int,
  l1_address: Str,
  available_balance: Dec,
  /** 1 active, 0 inactive. */
  status: Int,
  /** Cross-margin USDC balance. */
  collateral: Dec,
};
const AccountExtras = {
  cancel_all_time: Int,
  total_order_count: Int,
  total_isolated_order_count: Int,
  pending_order_count: Int,
  transaction_time: Int,
};
const AccountOptional = { message: T.Optional(Str), account_trading_mode: T.Optional(Int) };

/** A row of accountsByL1Address `sub_accounts`. */
export const SubAccount = T.Object({ ...AccountCore, ...AccountExtras, ...AccountOptional });
export type SubAccount = Static<typeof SubAccount>;
export const SubAccountIn = T.Object({ ...AccountCore, ...optionals(AccountExtras), ...AccountOptional });
export type SubAccountIn = Static<typeof SubAccountIn>;
/** `GET /api/v1/accountsByL1Address`. */
export const SubAccounts = T.Object({ ...Envelope, l1_address: Str, sub_accounts: T.Array(SubAccount), next_cursor: T.Optional(Str) });
export type SubAccounts = Static<typeof SubAccounts>;
export const SubAccountsIn = T.Object({ ...Envelope, l1_address: Str, sub_accounts: T.Array(SubAccountIn), next_cursor: T.Optional(Str) });
export type SubAccountsIn = Static<typeof SubAccountsIn>;

const DetailedCore = {
  ...AccountCore,
  account_index: Int,
  total_asset_value: Dec,
  cross_asset_value: Dec,
};
const DetailedExtras = {
  ...AccountExtras,
  name: Str,
  description: Str,
  can_invite: Bool,
  referral_points_percentage: Str,
  can_rfq: Bool,
  can_rfq_market_ids: NullableList(Str),
  created_at: Int,
  metadata: T.Object({ color: Str }),
  cross_initial_margin_requirement: Dec,
  cross_maintenance_margin_requirement: Dec,
  shares: T.Array(PublicPoolShare),
};
const DetailedOptional = {
  ...AccountOptional,
  pool_info: T.Optional(PublicPoolInfo),
  pending_unlocks: T.Optional(T.Array(T.Object({ unlock_timestamp: Int, asset_index: Int, amount: Str }))),
  approved_integrators: T.Optional(T.Array(T.Object({
    account_index: Int, name: Str, max_perps_taker_fee: Int, max_perps_maker_fee: Int,
    max_spot_taker_fee: Int, max_spot_maker_fee: Int, approval_expiry: Int,
  }))),
};
/** `DetailedAccount` of `GET /api/v1/account`; derived fields follow reference §E.2. */
export const DetailedAccount = T.Object({
  ...DetailedCore, ...DetailedExtras, ...DetailedOptional,
  positions: T.Array(AccountPosition),
  assets: T.Array(AccountAsset),
});
export type DetailedAccount = Static<typeof DetailedAccount>;
export const DetailedAccountIn = T.Object({
  ...DetailedCore, ...optionals(DetailedExtras), ...DetailedOptional,
  positions: T.Array(AccountPositionIn),
  assets: T.Array(AccountAssetIn),
});
export type DetailedAccountIn = Static<typeof DetailedAccountIn>;
/** `GET /api/v1/account?by=index|l1_address&value=…`. */
export const DetailedAccounts = T.Object({ ...Envelope, total: Int, accounts: T.Array(DetailedAccount), next_cursor: T.Optional(Str) });
export type DetailedAccounts = Static<typeof DetailedAccounts>;
export const DetailedAccountsIn = T.Object({ ...Envelope, total: Int, accounts: T.Array(DetailedAccountIn), next_cursor: T.Optional(Str) });
export type DetailedAccountsIn = Static<typeof DetailedAccountsIn>;

/** Margin state of one scope (cross, or one isolated market); USDC decimal strings. */
export const RiskParameters = T.Object({
  market_id: Int,
  total_account_value: Str,
  initial_margin_req: Str,
  maintenance_margin_req: Str,
  close_out_margin_req: Str,
  total_account_liquidation_threshold: Str,
  collateral: Str,
  usdc_collateral_with_funding: Str,
  usdc_portfolio_value: Str,
  total_portfolio_value: Str,
});
export type RiskParameters = Static<typeof RiskParameters>;
export const RiskInfo = T.Object({ cross_risk_parameters: RiskParameters, isolated_risk_parameters: T.Array(RiskParameters) });
export type RiskInfo = Static<typeof RiskInfo>;

/** One liquidation of an account (`/liquidations`). */
export const Liquidation = T.Object({
  id: Int,
  market_id: Int,
  type: T.Union([T.Literal("partial"), T.Literal("deleverage")]),
  /** The fill; `transaction_time` in µs. */
  trade: T.Object({ price: Dec, size: Dec, taker_fee: Str, maker_fee: Str, transaction_time: Int }),
  info: T.Object({
    positions: T.Array(AccountPosition),
    risk_info_before: RiskInfo,
    risk_info_after: RiskInfo,
    /** `{"<market_id>": mark}` — a JSON number per the SDK. */
    mark_prices: T.Record(Str, Num),
    assets: T.Array(AccountAsset),
    asset_index_prices: T.Record(Str, Str),
  }),
  executed_at: Int,
});
export type Liquidation = Static<typeof Liquidation>;
export const Liquidations = T.Object({ ...Envelope, liquidations: T.Array(Liquidation), next_cursor: T.Optional(Str) });
export type Liquidations = Static<typeof Liquidations>;

const PnlFloat = Num;
/** A cumulative pnl row; everything but `timestamp` is a float. */
export const PnLEntry = T.Object({
  timestamp: Int,
  trade_pnl: PnlFloat, trade_spot_pnl: PnlFloat, inflow: PnlFloat, outflow: PnlFloat,
  spot_inflow: PnlFloat, spot_outflow: PnlFloat, pool_pnl: PnlFloat, pool_inflow: PnlFloat,
  pool_outflow: PnlFloat, staking_pnl: PnlFloat, staking_inflow: PnlFloat, staking_outflow: PnlFloat,
  pool_total_shares: PnlFloat, staked_lit: PnlFloat, volume: PnlFloat,
});
export type PnLEntry = Static<typeof PnLEntry>;
export const AccountPnL = T.Object({ ...Envelope, resolution: Str, pnl: T.Array(PnLEntry) });
export type AccountPnL = Static<typeof AccountPnL>;

/** One funding payment of a position; `change` is the signed USDC amount, `rate` percent. */
export const PositionFunding = T.Object({
  timestamp: Int,
  market_id: Int,
  funding_id: Int,
  change: Dec,
  rate: Dec,
  position_size: Dec,
  position_side: T.Union([T.Literal("long"), T.Literal("short")]),
  discount: Str,
});
export type PositionFunding = Static<typeof PositionFunding>;
export const PositionFundings = T.Object({ ...Envelope, position_fundings: T.Array(PositionFunding), next_cursor: T.Optional(Str) });
export type PositionFundings = Static<typeof PositionFundings>;
