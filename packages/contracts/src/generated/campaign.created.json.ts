// Generated from schemas/campaign.created.json — do not edit. Change the schema and run `pnpm codegen`.

/**
 * A campaign was created (published by the campaign API after it stores the campaign).
 */
export interface CampaignCreated {
  /**
   * Campaign identifier; also the message key.
   */
  campaign_id: string;
  name: string;
  created_at: string;
  /**
   * Id of the user who created the campaign.
   */
  created_by?: string;
  status?: "draft" | "scheduled" | "active";
  budget?: {
    amount: number;
    currency: string;
  };
  /**
   * Free-form attributes.
   */
  metadata?: {
    [k: string]: unknown | undefined;
  };
}

export const topic = "campaign.created.json" as const

export const metadata = {
  "partitions": 3,
  "key": "campaign_id",
  "compatibility": "BACKWARD",
  "framing": "json",
  "config": {},
  "typeName": "CampaignCreated",
  "deadLetterTopic": "campaign.created-dlq.json",
  "fingerprint": "a37f90c8b533842d",
  "references": []
} as const

export const schema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Campaign created",
  "description": "A campaign was created (published by the campaign API after it stores the campaign).",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "campaign_id",
    "name",
    "created_at"
  ],
  "properties": {
    "campaign_id": {
      "type": "string",
      "minLength": 1,
      "description": "Campaign identifier; also the message key."
    },
    "name": {
      "type": "string",
      "minLength": 1,
      "maxLength": 200
    },
    "created_at": {
      "type": "string",
      "format": "date-time"
    },
    "created_by": {
      "type": "string",
      "description": "Id of the user who created the campaign."
    },
    "status": {
      "type": "string",
      "enum": [
        "draft",
        "scheduled",
        "active"
      ]
    },
    "budget": {
      "type": "object",
      "additionalProperties": false,
      "required": [
        "amount",
        "currency"
      ],
      "properties": {
        "amount": {
          "type": "number",
          "minimum": 0
        },
        "currency": {
          "type": "string",
          "pattern": "^[A-Z]{3}$"
        }
      }
    },
    "metadata": {
      "type": "object",
      "description": "Free-form attributes.",
      "additionalProperties": true
    }
  }
} as const
