// Generated from schemas/campaign.updated.json — do not edit. Change the schema and run `pnpm codegen`.
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
"use strict";
export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","title":"Campaign updated","description":"Fields of a campaign changed; `changes` lists the new values.","type":"object","additionalProperties":false,"required":["campaign_id","updated_at","changes"],"properties":{"campaign_id":{"type":"string","minLength":1},"updated_at":{"type":"string","format":"date-time"},"updated_by":{"type":"string"},"changes":{"type":"object","additionalProperties":false,"minProperties":1,"properties":{"name":{"type":"string","minLength":1,"maxLength":200},"status":{"type":"string","enum":["draft","scheduled","active","paused","completed"]},"budget":{"type":"object","additionalProperties":false,"required":["amount","currency"],"properties":{"amount":{"type":"number","minimum":0},"currency":{"type":"string","pattern":"^[A-Z]{3}$"}}}}},"metadata":{"type":"object","additionalProperties":true}}};
const func2 = require("ajv/dist/runtime/ucs2length").default;
const formats0 = ((formats, fast) => Object.assign({}, formats, { "date-time": Object.assign({}, formats["date-time"], { validate: (s) => fast(s) || formats["date-time"].validate(s) }) }))(require("ajv-formats/dist/formats").fullFormats, (s) => { const n = s.length; if (n < 20) return false; for (let k = 0; k < 19; k++) { const c = s.charCodeAt(k); if (k === 4 || k === 7) { if (c !== 45) return false; } else if (k === 10) { if (c !== 84 && c !== 116) return false; } else if (k === 13 || k === 16) { if (c !== 58) return false; } else if (c < 48 || c > 57) return false; } const digit = (k) => { const c = s.charCodeAt(k); return c >= 48 && c <= 57; }; const num = (k) => (s.charCodeAt(k) - 48) * 10 + s.charCodeAt(k + 1) - 48; let i = 19; if (s.charCodeAt(i) === 46) { const first = ++i; while (i < n && digit(i)) i++; if (i === first) return false; } const z = s.charCodeAt(i); if (z === 90 || z === 122) { if (i + 1 !== n) return false; } else if (z === 43 || z === 45) { if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false; if (!digit(i + 1) || !digit(i + 2) || !digit(i + 4) || !digit(i + 5)) return false; if (num(i + 1) > 23 || num(i + 4) > 59) return false; } else return false; const year = num(0) * 100 + num(2); const month = num(5); const day = num(8); if (month < 1 || month > 12 || day < 1) return false; const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0); const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31; return day <= days && num(11) <= 23 && num(14) <= 59 && num(17) <= 59; })["date-time"];
const pattern0 = new RegExp("^[A-Z]{3}$", "u");

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.campaign_id === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "campaign_id"},message:"must have required property '"+"campaign_id"+"'"};
if(vErrors === null){
vErrors = [err0];
}
else {
vErrors.push(err0);
}
errors++;
}
if(data.updated_at === undefined){
const err1 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "updated_at"},message:"must have required property '"+"updated_at"+"'"};
if(vErrors === null){
vErrors = [err1];
}
else {
vErrors.push(err1);
}
errors++;
}
if(data.changes === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "changes"},message:"must have required property '"+"changes"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!(((((key0 === "campaign_id") || (key0 === "updated_at")) || (key0 === "updated_by")) || (key0 === "changes")) || (key0 === "metadata"))){
const err3 = {instancePath,schemaPath:"#/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key0},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err3];
}
else {
vErrors.push(err3);
}
errors++;
}
}
if(data.campaign_id !== undefined){
let data0 = data.campaign_id;
if(typeof data0 === "string"){
if(func2(data0) < 1){
const err4 = {instancePath:instancePath+"/campaign_id",schemaPath:"#/properties/campaign_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err4];
}
else {
vErrors.push(err4);
}
errors++;
}
}
else {
const err5 = {instancePath:instancePath+"/campaign_id",schemaPath:"#/properties/campaign_id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.updated_at !== undefined){
let data1 = data.updated_at;
if(typeof data1 === "string"){
if(!(formats0.validate(data1))){
const err6 = {instancePath:instancePath+"/updated_at",schemaPath:"#/properties/updated_at/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
if(vErrors === null){
vErrors = [err6];
}
else {
vErrors.push(err6);
}
errors++;
}
}
else {
const err7 = {instancePath:instancePath+"/updated_at",schemaPath:"#/properties/updated_at/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.updated_by !== undefined){
if(typeof data.updated_by !== "string"){
const err8 = {instancePath:instancePath+"/updated_by",schemaPath:"#/properties/updated_by/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
}
if(data.changes !== undefined){
let data3 = data.changes;
if(data3 && typeof data3 == "object" && !Array.isArray(data3)){
if(Object.keys(data3).length < 1){
const err9 = {instancePath:instancePath+"/changes",schemaPath:"#/properties/changes/minProperties",keyword:"minProperties",params:{limit: 1},message:"must NOT have fewer than 1 properties"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
for(const key1 in data3){
if(!(((key1 === "name") || (key1 === "status")) || (key1 === "budget"))){
const err10 = {instancePath:instancePath+"/changes",schemaPath:"#/properties/changes/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key1},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data3.name !== undefined){
let data4 = data3.name;
if(typeof data4 === "string"){
if(func2(data4) > 200){
const err11 = {instancePath:instancePath+"/changes/name",schemaPath:"#/properties/changes/properties/name/maxLength",keyword:"maxLength",params:{limit: 200},message:"must NOT have more than 200 characters"};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
if(func2(data4) < 1){
const err12 = {instancePath:instancePath+"/changes/name",schemaPath:"#/properties/changes/properties/name/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
else {
const err13 = {instancePath:instancePath+"/changes/name",schemaPath:"#/properties/changes/properties/name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
}
if(data3.status !== undefined){
let data5 = data3.status;
if(typeof data5 !== "string"){
const err14 = {instancePath:instancePath+"/changes/status",schemaPath:"#/properties/changes/properties/status/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
if(!(((((data5 === "draft") || (data5 === "scheduled")) || (data5 === "active")) || (data5 === "paused")) || (data5 === "completed"))){
const err15 = {instancePath:instancePath+"/changes/status",schemaPath:"#/properties/changes/properties/status/enum",keyword:"enum",params:{allowedValues: schema11.properties.changes.properties.status.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
if(data3.budget !== undefined){
let data6 = data3.budget;
if(data6 && typeof data6 == "object" && !Array.isArray(data6)){
if(data6.amount === undefined){
const err16 = {instancePath:instancePath+"/changes/budget",schemaPath:"#/properties/changes/properties/budget/required",keyword:"required",params:{missingProperty: "amount"},message:"must have required property '"+"amount"+"'"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
if(data6.currency === undefined){
const err17 = {instancePath:instancePath+"/changes/budget",schemaPath:"#/properties/changes/properties/budget/required",keyword:"required",params:{missingProperty: "currency"},message:"must have required property '"+"currency"+"'"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
for(const key2 in data6){
if(!((key2 === "amount") || (key2 === "currency"))){
const err18 = {instancePath:instancePath+"/changes/budget",schemaPath:"#/properties/changes/properties/budget/additionalProperties",keyword:"additionalProperties",params:{additionalProperty: key2},message:"must NOT have additional properties"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data6.amount !== undefined){
let data7 = data6.amount;
if((typeof data7 == "number") && (isFinite(data7))){
if(data7 < 0 || isNaN(data7)){
const err19 = {instancePath:instancePath+"/changes/budget/amount",schemaPath:"#/properties/changes/properties/budget/properties/amount/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err19];
}
else {
vErrors.push(err19);
}
errors++;
}
}
else {
const err20 = {instancePath:instancePath+"/changes/budget/amount",schemaPath:"#/properties/changes/properties/budget/properties/amount/type",keyword:"type",params:{type: "number"},message:"must be number"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data6.currency !== undefined){
let data8 = data6.currency;
if(typeof data8 === "string"){
if(!pattern0.test(data8)){
const err21 = {instancePath:instancePath+"/changes/budget/currency",schemaPath:"#/properties/changes/properties/budget/properties/currency/pattern",keyword:"pattern",params:{pattern: "^[A-Z]{3}$"},message:"must match pattern \""+"^[A-Z]{3}$"+"\""};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
else {
const err22 = {instancePath:instancePath+"/changes/budget/currency",schemaPath:"#/properties/changes/properties/budget/properties/currency/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
}
}
else {
const err23 = {instancePath:instancePath+"/changes/budget",schemaPath:"#/properties/changes/properties/budget/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err23];
}
else {
vErrors.push(err23);
}
errors++;
}
}
}
else {
const err24 = {instancePath:instancePath+"/changes",schemaPath:"#/properties/changes/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err24];
}
else {
vErrors.push(err24);
}
errors++;
}
}
if(data.metadata !== undefined){
let data9 = data.metadata;
if(data9 && typeof data9 == "object" && !Array.isArray(data9)){
}
else {
const err25 = {instancePath:instancePath+"/metadata",schemaPath:"#/properties/metadata/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err25];
}
else {
vErrors.push(err25);
}
errors++;
}
}
}
else {
const err26 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err26];
}
else {
vErrors.push(err26);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

