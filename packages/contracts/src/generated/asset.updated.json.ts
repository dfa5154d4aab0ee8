// Generated from schemas/asset.updated.json — do not edit. Change the schema and run `pnpm codegen`.

/**
 * A media asset changed (new version uploaded, renamed, or its review status moved).
 */
export interface AssetUpdated {
  asset_id: string;
  campaign_id?: string;
  version: number;
  file_name?: string;
  mime_type?: string;
  size_bytes?: number;
  url?: string;
  review_status?: "pending" | "approved" | "rejected";
  updated_at: string;
  metadata?: {
    [k: string]: unknown | undefined;
  };
}

export const topic = "asset.updated.json" as const

export const metadata = {
  "partitions": 3,
  "key": "asset_id",
  "compatibility": "BACKWARD",
  "framing": "registry",
  "config": {},
  "typeName": "AssetUpdated",
  "deadLetterTopic": "asset.updated-dlq.json",
  "fingerprint": "d1377bc486cf1c9e",
  "references": []
} as const

export const schema = {
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Asset updated",
  "description": "A media asset changed (new version uploaded, renamed, or its review status moved).",
  "type": "object",
  "additionalProperties": false,
  "required": [
    "asset_id",
    "updated_at",
    "version"
  ],
  "properties": {
    "asset_id": {
      "type": "string",
      "minLength": 1
    },
    "campaign_id": {
      "type": "string",
      "minLength": 1
    },
    "version": {
      "type": "integer",
      "minimum": 1
    },
    "file_name": {
      "type": "string"
    },
    "mime_type": {
      "type": "string",
      "pattern": "^[a-z]+/[a-z0-9.+-]+$"
    },
    "size_bytes": {
      "type": "integer",
      "minimum": 0
    },
    "url": {
      "type": "string",
      "format": "uri"
    },
    "review_status": {
      "type": "string",
      "enum": [
        "pending",
        "approved",
        "rejected"
      ]
    },
    "updated_at": {
      "type": "string",
      "format": "date-time"
    },
    "metadata": {
      "type": "object",
      "additionalProperties": true
    }
  }
} as const
