// Generated from schemas/asset.updated.json — do not edit. Change the schema and run `pnpm codegen`.
import { createRequire } from 'node:module'
const require = createRequire(import.meta.url)
"use strict";
export const validate = validate10;
export default validate10;
const schema11 = {"$schema":"http://json-schema.org/draft-07/schema#","title":"Asset updated","description":"A media asset changed (new version uploaded, renamed, or its review status moved).","type":"object","additionalProperties":false,"required":["asset_id","updated_at","version"],"properties":{"asset_id":{"type":"string","minLength":1},"campaign_id":{"type":"string","minLength":1},"version":{"type":"integer","minimum":1},"file_name":{"type":"string"},"mime_type":{"type":"string","pattern":"^[a-z]+/[a-z0-9.+-]+$"},"size_bytes":{"type":"integer","minimum":0},"url":{"type":"string","format":"uri"},"review_status":{"type":"string","enum":["pending","approved","rejected"]},"updated_at":{"type":"string","format":"date-time"},"metadata":{"type":"object","additionalProperties":true}}};
const func2 = Object.prototype.hasOwnProperty;
const func3 = require("ajv/dist/runtime/ucs2length").default;
const pattern0 = new RegExp("^[a-z]+/[a-z0-9.+-]+$", "u");
const formats0 = ((formats, fast) => Object.assign({}, formats, { "date-time": Object.assign({}, formats["date-time"], { validate: (s) => fast(s) || formats["date-time"].validate(s) }) }))(require("ajv-formats/dist/formats").fullFormats, (s) => { const n = s.length; if (n < 20) return false; for (let k = 0; k < 19; k++) { const c = s.charCodeAt(k); if (k === 4 || k === 7) { if (c !== 45) return false; } else if (k === 10) { if (c !== 84 && c !== 116) return false; } else if (k === 13 || k === 16) { if (c !== 58) return false; } else if (c < 48 || c > 57) return false; } const digit = (k) => { const c = s.charCodeAt(k); return c >= 48 && c <= 57; }; const num = (k) => (s.charCodeAt(k) - 48) * 10 + s.charCodeAt(k + 1) - 48; let i = 19; if (s.charCodeAt(i) === 46) { const first = ++i; while (i < n && digit(i)) i++; if (i === first) return false; } const z = s.charCodeAt(i); if (z === 90 || z === 122) { if (i + 1 !== n) return false; } else if (z === 43 || z === 45) { if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false; if (!digit(i + 1) || !digit(i + 2) || !digit(i + 4) || !digit(i + 5)) return false; if (num(i + 1) > 23 || num(i + 4) > 59) return false; } else return false; const year = num(0) * 100 + num(2); const month = num(5); const day = num(8); if (month < 1 || month > 12 || day < 1) return false; const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0); const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31; return day <= days && num(11) <= 23 && num(14) <= 59 && num(17) <= 59; }).uri;
const formats2 = ((formats, fast) => Object.assign({}, formats, { "date-time": Object.assign({}, formats["date-time"], { validate: (s) => fast(s) || formats["date-time"].validate(s) }) }))(require("ajv-formats/dist/formats").fullFormats, (s) => { const n = s.length; if (n < 20) return false; for (let k = 0; k < 19; k++) { const c = s.charCodeAt(k); if (k === 4 || k === 7) { if (c !== 45) return false; } else if (k === 10) { if (c !== 84 && c !== 116) return false; } else if (k === 13 || k === 16) { if (c !== 58) return false; } else if (c < 48 || c > 57) return false; } const digit = (k) => { const c = s.charCodeAt(k); return c >= 48 && c <= 57; }; const num = (k) => (s.charCodeAt(k) - 48) * 10 + s.charCodeAt(k + 1) - 48; let i = 19; if (s.charCodeAt(i) === 46) { const first = ++i; while (i < n && digit(i)) i++; if (i === first) return false; } const z = s.charCodeAt(i); if (z === 90 || z === 122) { if (i + 1 !== n) return false; } else if (z === 43 || z === 45) { if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false; if (!digit(i + 1) || !digit(i + 2) || !digit(i + 4) || !digit(i + 5)) return false; if (num(i + 1) > 23 || num(i + 4) > 59) return false; } else return false; const year = num(0) * 100 + num(2); const month = num(5); const day = num(8); if (month < 1 || month > 12 || day < 1) return false; const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0); const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31; return day <= days && num(11) <= 23 && num(14) <= 59 && num(17) <= 59; })["date-time"];

function validate10(data, {instancePath="", parentData, parentDataProperty, rootData=data}={}){
let vErrors = null;
let errors = 0;
if(data && typeof data == "object" && !Array.isArray(data)){
if(data.asset_id === undefined){
const err0 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "asset_id"},message:"must have required property '"+"asset_id"+"'"};
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
if(data.version === undefined){
const err2 = {instancePath,schemaPath:"#/required",keyword:"required",params:{missingProperty: "version"},message:"must have required property '"+"version"+"'"};
if(vErrors === null){
vErrors = [err2];
}
else {
vErrors.push(err2);
}
errors++;
}
for(const key0 in data){
if(!(func2.call(schema11.properties, key0))){
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
if(data.asset_id !== undefined){
let data0 = data.asset_id;
if(typeof data0 === "string"){
if(func3(data0) < 1){
const err4 = {instancePath:instancePath+"/asset_id",schemaPath:"#/properties/asset_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err5 = {instancePath:instancePath+"/asset_id",schemaPath:"#/properties/asset_id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err5];
}
else {
vErrors.push(err5);
}
errors++;
}
}
if(data.campaign_id !== undefined){
let data1 = data.campaign_id;
if(typeof data1 === "string"){
if(func3(data1) < 1){
const err6 = {instancePath:instancePath+"/campaign_id",schemaPath:"#/properties/campaign_id/minLength",keyword:"minLength",params:{limit: 1},message:"must NOT have fewer than 1 characters"};
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
const err7 = {instancePath:instancePath+"/campaign_id",schemaPath:"#/properties/campaign_id/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err7];
}
else {
vErrors.push(err7);
}
errors++;
}
}
if(data.version !== undefined){
let data2 = data.version;
if(!(((typeof data2 == "number") && (!(data2 % 1) && !isNaN(data2))) && (isFinite(data2)))){
const err8 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err8];
}
else {
vErrors.push(err8);
}
errors++;
}
if((typeof data2 == "number") && (isFinite(data2))){
if(data2 < 1 || isNaN(data2)){
const err9 = {instancePath:instancePath+"/version",schemaPath:"#/properties/version/minimum",keyword:"minimum",params:{comparison: ">=", limit: 1},message:"must be >= 1"};
if(vErrors === null){
vErrors = [err9];
}
else {
vErrors.push(err9);
}
errors++;
}
}
}
if(data.file_name !== undefined){
if(typeof data.file_name !== "string"){
const err10 = {instancePath:instancePath+"/file_name",schemaPath:"#/properties/file_name/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err10];
}
else {
vErrors.push(err10);
}
errors++;
}
}
if(data.mime_type !== undefined){
let data4 = data.mime_type;
if(typeof data4 === "string"){
if(!pattern0.test(data4)){
const err11 = {instancePath:instancePath+"/mime_type",schemaPath:"#/properties/mime_type/pattern",keyword:"pattern",params:{pattern: "^[a-z]+/[a-z0-9.+-]+$"},message:"must match pattern \""+"^[a-z]+/[a-z0-9.+-]+$"+"\""};
if(vErrors === null){
vErrors = [err11];
}
else {
vErrors.push(err11);
}
errors++;
}
}
else {
const err12 = {instancePath:instancePath+"/mime_type",schemaPath:"#/properties/mime_type/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err12];
}
else {
vErrors.push(err12);
}
errors++;
}
}
if(data.size_bytes !== undefined){
let data5 = data.size_bytes;
if(!(((typeof data5 == "number") && (!(data5 % 1) && !isNaN(data5))) && (isFinite(data5)))){
const err13 = {instancePath:instancePath+"/size_bytes",schemaPath:"#/properties/size_bytes/type",keyword:"type",params:{type: "integer"},message:"must be integer"};
if(vErrors === null){
vErrors = [err13];
}
else {
vErrors.push(err13);
}
errors++;
}
if((typeof data5 == "number") && (isFinite(data5))){
if(data5 < 0 || isNaN(data5)){
const err14 = {instancePath:instancePath+"/size_bytes",schemaPath:"#/properties/size_bytes/minimum",keyword:"minimum",params:{comparison: ">=", limit: 0},message:"must be >= 0"};
if(vErrors === null){
vErrors = [err14];
}
else {
vErrors.push(err14);
}
errors++;
}
}
}
if(data.url !== undefined){
let data6 = data.url;
if(typeof data6 === "string"){
if(!(formats0(data6))){
const err15 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/format",keyword:"format",params:{format: "uri"},message:"must match format \""+"uri"+"\""};
if(vErrors === null){
vErrors = [err15];
}
else {
vErrors.push(err15);
}
errors++;
}
}
else {
const err16 = {instancePath:instancePath+"/url",schemaPath:"#/properties/url/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err16];
}
else {
vErrors.push(err16);
}
errors++;
}
}
if(data.review_status !== undefined){
let data7 = data.review_status;
if(typeof data7 !== "string"){
const err17 = {instancePath:instancePath+"/review_status",schemaPath:"#/properties/review_status/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err17];
}
else {
vErrors.push(err17);
}
errors++;
}
if(!(((data7 === "pending") || (data7 === "approved")) || (data7 === "rejected"))){
const err18 = {instancePath:instancePath+"/review_status",schemaPath:"#/properties/review_status/enum",keyword:"enum",params:{allowedValues: schema11.properties.review_status.enum},message:"must be equal to one of the allowed values"};
if(vErrors === null){
vErrors = [err18];
}
else {
vErrors.push(err18);
}
errors++;
}
}
if(data.updated_at !== undefined){
let data8 = data.updated_at;
if(typeof data8 === "string"){
if(!(formats2.validate(data8))){
const err19 = {instancePath:instancePath+"/updated_at",schemaPath:"#/properties/updated_at/format",keyword:"format",params:{format: "date-time"},message:"must match format \""+"date-time"+"\""};
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
const err20 = {instancePath:instancePath+"/updated_at",schemaPath:"#/properties/updated_at/type",keyword:"type",params:{type: "string"},message:"must be string"};
if(vErrors === null){
vErrors = [err20];
}
else {
vErrors.push(err20);
}
errors++;
}
}
if(data.metadata !== undefined){
let data9 = data.metadata;
if(data9 && typeof data9 == "object" && !Array.isArray(data9)){
}
else {
const err21 = {instancePath:instancePath+"/metadata",schemaPath:"#/properties/metadata/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err21];
}
else {
vErrors.push(err21);
}
errors++;
}
}
}
else {
const err22 = {instancePath,schemaPath:"#/type",keyword:"type",params:{type: "object"},message:"must be object"};
if(vErrors === null){
vErrors = [err22];
}
else {
vErrors.push(err22);
}
errors++;
}
validate10.errors = vErrors;
return errors === 0;
}

