/*eslint-disable block-scoped-var, id-length, no-control-regex, no-magic-numbers, no-mixed-operators, no-prototype-builtins, no-redeclare, no-shadow, no-var, sort-vars, default-case, jsdoc/require-param*/
import $protobuf from "protobufjs/minimal.js";

// Common aliases
const $Reader = $protobuf.Reader, $Writer = $protobuf.Writer, $util = $protobuf.util;
const $Object = $util.global.Object, $undefined = $util.global.undefined, $Error = $util.global.Error, $RangeError = $util.global.RangeError;

// Exported root namespace
const $root = $protobuf.roots["default"] || ($protobuf.roots["default"] = {});

export const swap = $root.swap = (() => {

    /**
     * Namespace swap.
     * @exports swap
     * @namespace
     */
    const swap = {};

    /**
     * Phase enum.
     * @name swap.Phase
     * @enum {number}
     * @property {number} PHASE_SOFT=0 PHASE_SOFT value
     * @property {number} PHASE_MOCK=1 PHASE_MOCK value
     * @property {number} PHASE_HARD=2 PHASE_HARD value
     */
    swap.Phase = (function() {
        const valuesById = $Object.create(null), values = $Object.create(valuesById);
        values[valuesById[0] = "PHASE_SOFT"] = 0;
        values[valuesById[1] = "PHASE_MOCK"] = 1;
        values[valuesById[2] = "PHASE_HARD"] = 2;
        return values;
    })();

    swap.Handshake = (function() {

        /**
         * Properties of a Handshake.
         * @typedef {Object} swap.Handshake.$Properties
         * @property {Uint8Array|null} [paymentThreshold] Handshake paymentThreshold
         * @property {Uint8Array|null} [beneficiary] Handshake beneficiary
         * @property {Uint8Array|null} [chequebook] Handshake chequebook
         * @property {number|Long|null} [chainId] Handshake chainId
         * @property {Uint8Array|null} [token] Handshake token
         * @property {swap.Phase|null} [phase] Handshake phase
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Handshake.
         * @memberof swap
         * @interface IHandshake
         * @augments swap.Handshake.$Properties
         * @deprecated Use swap.Handshake.$Properties instead.
         */

        /**
         * Shape of a Handshake.
         * @typedef {swap.Handshake.$Properties} swap.Handshake.$Shape
         */

        /**
         * Constructs a new Handshake.
         * @memberof swap
         * @classdesc Represents a Handshake.
         * @constructor
         * @param {swap.Handshake.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const Handshake = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Handshake paymentThreshold.
         * @member {Uint8Array} paymentThreshold
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.paymentThreshold = $util.newBuffer([]);

        /**
         * Handshake beneficiary.
         * @member {Uint8Array} beneficiary
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.beneficiary = $util.newBuffer([]);

        /**
         * Handshake chequebook.
         * @member {Uint8Array} chequebook
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.chequebook = $util.newBuffer([]);

        /**
         * Handshake chainId.
         * @member {number|Long} chainId
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.chainId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

        /**
         * Handshake token.
         * @member {Uint8Array} token
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.token = $util.newBuffer([]);

        /**
         * Handshake phase.
         * @member {swap.Phase} phase
         * @memberof swap.Handshake
         * @instance
         */
        Handshake.prototype.phase = 0;

        /**
         * Encodes the specified Handshake message. Does not implicitly {@link swap.Handshake.verify|verify} messages.
         * @function encode
         * @memberof swap.Handshake
         * @static
         * @param {swap.Handshake.$Properties} message Handshake message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Handshake.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.paymentThreshold != null && $Object.hasOwnProperty.call(message, "paymentThreshold") && message.paymentThreshold.length)
                writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.paymentThreshold);
            if (message.beneficiary != null && $Object.hasOwnProperty.call(message, "beneficiary") && message.beneficiary.length)
                writer.uint32(/* id 2, wireType 2 =*/18).bytes(message.beneficiary);
            if (message.chequebook != null && $Object.hasOwnProperty.call(message, "chequebook") && message.chequebook.length)
                writer.uint32(/* id 3, wireType 2 =*/26).bytes(message.chequebook);
            if (message.chainId != null && $Object.hasOwnProperty.call(message, "chainId") && (typeof message.chainId === "object" ? message.chainId.low || message.chainId.high : message.chainId !== 0))
                writer.uint32(/* id 4, wireType 0 =*/32).uint64(message.chainId);
            if (message.token != null && $Object.hasOwnProperty.call(message, "token") && message.token.length)
                writer.uint32(/* id 5, wireType 2 =*/42).bytes(message.token);
            if (message.phase != null && $Object.hasOwnProperty.call(message, "phase") && message.phase !== 0)
                writer.uint32(/* id 6, wireType 0 =*/48).int32(message.phase);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Handshake message from the specified reader or buffer.
         * @function decode
         * @memberof swap.Handshake
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {swap.Handshake & swap.Handshake.$Shape} Handshake
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Handshake.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.swap.Handshake();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.paymentThreshold = value;
                        else
                            delete message.paymentThreshold;
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.beneficiary = value;
                        else
                            delete message.beneficiary;
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.chequebook = value;
                        else
                            delete message.chequebook;
                        continue;
                    }
                case 4: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                            message.chainId = value;
                        else
                            delete message.chainId;
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.token = value;
                        else
                            delete message.token;
                        continue;
                    }
                case 6: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.int32())
                            message.phase = value;
                        else
                            delete message.phase;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        /**
         * Gets the type url for Handshake
         * @function getTypeUrl
         * @memberof swap.Handshake
         * @static
         * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns {string} The type url
         */
        Handshake.getTypeUrl = function(prefix) {
            if (prefix === $undefined)
                prefix = "type.googleapis.com";
            return prefix + "/swap.Handshake";
        };

        return Handshake;
    })();

    swap.Cheque = (function() {

        /**
         * Properties of a Cheque.
         * @typedef {Object} swap.Cheque.$Properties
         * @property {Uint8Array|null} [beneficiary] Cheque beneficiary
         * @property {number|null} [date] Cheque date
         * @property {number|null} [amount] Cheque amount
         * @property {Uint8Array|null} [chequebook] Cheque chequebook
         * @property {Uint8Array|null} [cumulativePayout] Cheque cumulativePayout
         * @property {Uint8Array|null} [signature] Cheque signature
         * @property {number|Long|null} [chainId] Cheque chainId
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a Cheque.
         * @memberof swap
         * @interface ICheque
         * @augments swap.Cheque.$Properties
         * @deprecated Use swap.Cheque.$Properties instead.
         */

        /**
         * Shape of a Cheque.
         * @typedef {swap.Cheque.$Properties} swap.Cheque.$Shape
         */

        /**
         * Constructs a new Cheque.
         * @memberof swap
         * @classdesc Represents a Cheque.
         * @constructor
         * @param {swap.Cheque.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const Cheque = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * Cheque beneficiary.
         * @member {Uint8Array} beneficiary
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.beneficiary = $util.newBuffer([]);

        /**
         * Cheque date.
         * @member {number} date
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.date = 0;

        /**
         * Cheque amount.
         * @member {number} amount
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.amount = 0;

        /**
         * Cheque chequebook.
         * @member {Uint8Array} chequebook
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.chequebook = $util.newBuffer([]);

        /**
         * Cheque cumulativePayout.
         * @member {Uint8Array} cumulativePayout
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.cumulativePayout = $util.newBuffer([]);

        /**
         * Cheque signature.
         * @member {Uint8Array} signature
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.signature = $util.newBuffer([]);

        /**
         * Cheque chainId.
         * @member {number|Long} chainId
         * @memberof swap.Cheque
         * @instance
         */
        Cheque.prototype.chainId = $util.Long ? $util.Long.fromBits(0,0,true) : 0;

        /**
         * Encodes the specified Cheque message. Does not implicitly {@link swap.Cheque.verify|verify} messages.
         * @function encode
         * @memberof swap.Cheque
         * @static
         * @param {swap.Cheque.$Properties} message Cheque message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        Cheque.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.beneficiary != null && $Object.hasOwnProperty.call(message, "beneficiary") && message.beneficiary.length)
                writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.beneficiary);
            if (message.date != null && $Object.hasOwnProperty.call(message, "date") && message.date !== 0)
                writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.date);
            if (message.amount != null && $Object.hasOwnProperty.call(message, "amount") && message.amount !== 0)
                writer.uint32(/* id 3, wireType 0 =*/24).uint32(message.amount);
            if (message.chequebook != null && $Object.hasOwnProperty.call(message, "chequebook") && message.chequebook.length)
                writer.uint32(/* id 4, wireType 2 =*/34).bytes(message.chequebook);
            if (message.cumulativePayout != null && $Object.hasOwnProperty.call(message, "cumulativePayout") && message.cumulativePayout.length)
                writer.uint32(/* id 5, wireType 2 =*/42).bytes(message.cumulativePayout);
            if (message.signature != null && $Object.hasOwnProperty.call(message, "signature") && message.signature.length)
                writer.uint32(/* id 6, wireType 2 =*/50).bytes(message.signature);
            if (message.chainId != null && $Object.hasOwnProperty.call(message, "chainId") && (typeof message.chainId === "object" ? message.chainId.low || message.chainId.high : message.chainId !== 0))
                writer.uint32(/* id 7, wireType 0 =*/56).uint64(message.chainId);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a Cheque message from the specified reader or buffer.
         * @function decode
         * @memberof swap.Cheque
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {swap.Cheque & swap.Cheque.$Shape} Cheque
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        Cheque.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.swap.Cheque();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.beneficiary = value;
                        else
                            delete message.beneficiary;
                        continue;
                    }
                case 2: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.uint32())
                            message.date = value;
                        else
                            delete message.date;
                        continue;
                    }
                case 3: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.uint32())
                            message.amount = value;
                        else
                            delete message.amount;
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.chequebook = value;
                        else
                            delete message.chequebook;
                        continue;
                    }
                case 5: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.cumulativePayout = value;
                        else
                            delete message.cumulativePayout;
                        continue;
                    }
                case 6: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.signature = value;
                        else
                            delete message.signature;
                        continue;
                    }
                case 7: {
                        if (wireType !== 0)
                            break;
                        if (typeof (value = reader.uint64()) === "object" ? value.low || value.high : value !== 0)
                            message.chainId = value;
                        else
                            delete message.chainId;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        /**
         * Gets the type url for Cheque
         * @function getTypeUrl
         * @memberof swap.Cheque
         * @static
         * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns {string} The type url
         */
        Cheque.getTypeUrl = function(prefix) {
            if (prefix === $undefined)
                prefix = "type.googleapis.com";
            return prefix + "/swap.Cheque";
        };

        return Cheque;
    })();

    swap.ChequeAck = (function() {

        /**
         * Properties of a ChequeAck.
         * @typedef {Object} swap.ChequeAck.$Properties
         * @property {Uint8Array|null} [cumulativePayout] ChequeAck cumulativePayout
         * @property {number|null} [amount] ChequeAck amount
         * @property {boolean|null} [accepted] ChequeAck accepted
         * @property {string|null} [reason] ChequeAck reason
         * @property {number|null} [date] ChequeAck date
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a ChequeAck.
         * @memberof swap
         * @interface IChequeAck
         * @augments swap.ChequeAck.$Properties
         * @deprecated Use swap.ChequeAck.$Properties instead.
         */

        /**
         * Shape of a ChequeAck.
         * @typedef {swap.ChequeAck.$Properties} swap.ChequeAck.$Shape
         */

        /**
         * Constructs a new ChequeAck.
         * @memberof swap
         * @classdesc Represents a ChequeAck.
         * @constructor
         * @param {swap.ChequeAck.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const ChequeAck = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * ChequeAck cumulativePayout.
         * @member {Uint8Array} cumulativePayout
         * @memberof swap.ChequeAck
         * @instance
         */
        ChequeAck.prototype.cumulativePayout = $util.newBuffer([]);

        /**
         * ChequeAck amount.
         * @member {number} amount
         * @memberof swap.ChequeAck
         * @instance
         */
        ChequeAck.prototype.amount = 0;

        /**
         * ChequeAck accepted.
         * @member {boolean} accepted
         * @memberof swap.ChequeAck
         * @instance
         */
        ChequeAck.prototype.accepted = false;

        /**
         * ChequeAck reason.
         * @member {string} reason
         * @memberof swap.ChequeAck
         * @instance
         */
        ChequeAck.prototype.reason = "";

        /**
         * ChequeAck date.
         * @member {number} date
         * @memberof swap.ChequeAck
         * @instance
         */
        ChequeAck.prototype.date = 0;

        /**
         * Encodes the specified ChequeAck message. Does not implicitly {@link swap.ChequeAck.verify|verify} messages.
         * @function encode
         * @memberof swap.ChequeAck
         * @static
         * @param {swap.ChequeAck.$Properties} message ChequeAck message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        ChequeAck.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.cumulativePayout != null && $Object.hasOwnProperty.call(message, "cumulativePayout") && message.cumulativePayout.length)
                writer.uint32(/* id 1, wireType 2 =*/10).bytes(message.cumulativePayout);
            if (message.amount != null && $Object.hasOwnProperty.call(message, "amount") && message.amount !== 0)
                writer.uint32(/* id 2, wireType 0 =*/16).uint32(message.amount);
            if (message.accepted != null && $Object.hasOwnProperty.call(message, "accepted") && message.accepted !== false)
                writer.uint32(/* id 3, wireType 0 =*/24).bool(message.accepted);
            if (message.reason != null && $Object.hasOwnProperty.call(message, "reason") && message.reason !== "")
                writer.uint32(/* id 4, wireType 2 =*/34).string(message.reason);
            if (message.date != null && $Object.hasOwnProperty.call(message, "date") && message.date !== 0)
                writer.uint32(/* id 5, wireType 0 =*/40).uint32(message.date);
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a ChequeAck message from the specified reader or buffer.
         * @function decode
         * @memberof swap.ChequeAck
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {swap.ChequeAck & swap.ChequeAck.$Shape} ChequeAck
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        ChequeAck.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message, value;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.swap.ChequeAck();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.bytes()).length)
                            message.cumulativePayout = value;
                        else
                            delete message.cumulativePayout;
                        continue;
                    }
                case 2: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.uint32())
                            message.amount = value;
                        else
                            delete message.amount;
                        continue;
                    }
                case 3: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.bool())
                            message.accepted = value;
                        else
                            delete message.accepted;
                        continue;
                    }
                case 4: {
                        if (wireType !== 2)
                            break;
                        if ((value = reader.stringVerify()).length)
                            message.reason = value;
                        else
                            delete message.reason;
                        continue;
                    }
                case 5: {
                        if (wireType !== 0)
                            break;
                        if (value = reader.uint32())
                            message.date = value;
                        else
                            delete message.date;
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        /**
         * Gets the type url for ChequeAck
         * @function getTypeUrl
         * @memberof swap.ChequeAck
         * @static
         * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns {string} The type url
         */
        ChequeAck.getTypeUrl = function(prefix) {
            if (prefix === $undefined)
                prefix = "type.googleapis.com";
            return prefix + "/swap.ChequeAck";
        };

        return ChequeAck;
    })();

    swap.SwapMessage = (function() {

        /**
         * Properties of a SwapMessage.
         * @typedef {Object} swap.SwapMessage.$Properties
         * @property {swap.Handshake.$Properties|null} [handshake] SwapMessage handshake
         * @property {swap.Cheque.$Properties|null} [cheque] SwapMessage cheque
         * @property {swap.ChequeAck.$Properties|null} [ack] SwapMessage ack
         * @property {"handshake"|"cheque"|"ack"} [payload] SwapMessage payload
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */

        /**
         * Properties of a SwapMessage.
         * @memberof swap
         * @interface ISwapMessage
         * @augments swap.SwapMessage.$Properties
         * @deprecated Use swap.SwapMessage.$Properties instead.
         */

        /**
         * Narrowed shape of a SwapMessage.
         * @typedef {{
         *   handshake?: swap.Handshake.$Shape|null;
         *   cheque?: swap.Cheque.$Shape|null;
         *   ack?: swap.ChequeAck.$Shape|null;
         *   $unknowns?: Array.<Uint8Array>;
         * } & (
         *   ({ payload?: undefined; handshake?: null; cheque?: null; ack?: null }|{ payload?: "handshake"; handshake: swap.Handshake.$Shape; cheque?: null; ack?: null }|{ payload?: "cheque"; handshake?: null; cheque: swap.Cheque.$Shape; ack?: null }|{ payload?: "ack"; handshake?: null; cheque?: null; ack: swap.ChequeAck.$Shape })
         * )} swap.SwapMessage.$Shape
         */

        /**
         * Constructs a new SwapMessage.
         * @memberof swap
         * @classdesc Represents a SwapMessage.
         * @constructor
         * @param {swap.SwapMessage.$Properties=} [properties] Properties to set
         * @property {Array.<Uint8Array>} [$unknowns] Unknown fields preserved while decoding when enabled
         */
        const SwapMessage = function (properties) {
            if (properties)
                for (let keys = $Object.keys(properties), i = 0; i < keys.length; ++i)
                    if (properties[keys[i]] != null && keys[i] !== "__proto__")
                        this[keys[i]] = properties[keys[i]];
        };

        /**
         * SwapMessage handshake.
         * @member {swap.Handshake.$Properties|null|undefined} handshake
         * @memberof swap.SwapMessage
         * @instance
         */
        SwapMessage.prototype.handshake = null;

        /**
         * SwapMessage cheque.
         * @member {swap.Cheque.$Properties|null|undefined} cheque
         * @memberof swap.SwapMessage
         * @instance
         */
        SwapMessage.prototype.cheque = null;

        /**
         * SwapMessage ack.
         * @member {swap.ChequeAck.$Properties|null|undefined} ack
         * @memberof swap.SwapMessage
         * @instance
         */
        SwapMessage.prototype.ack = null;

        // OneOf field names bound to virtual getters and setters
        let $oneOfFields;

        /**
         * SwapMessage payload.
         * @member {"handshake"|"cheque"|"ack"|undefined} payload
         * @memberof swap.SwapMessage
         * @instance
         */
        $Object.defineProperty(SwapMessage.prototype, "payload", {
            get: $util.oneOfGetter($oneOfFields = ["handshake", "cheque", "ack"]),
            set: $util.oneOfSetter($oneOfFields)
        });

        /**
         * Encodes the specified SwapMessage message. Does not implicitly {@link swap.SwapMessage.verify|verify} messages.
         * @function encode
         * @memberof swap.SwapMessage
         * @static
         * @param {swap.SwapMessage.$Properties} message SwapMessage message or plain object to encode
         * @param {$protobuf.Writer} [writer] Writer to encode to
         * @returns {$protobuf.Writer} Writer
         */
        SwapMessage.encode = function (message, writer, _depth) {
            if (!writer)
                writer = $Writer.create();
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $util.recursionLimit)
                throw $Error("max depth exceeded");
            if (message.handshake != null && $Object.hasOwnProperty.call(message, "handshake"))
                $root.swap.Handshake.encode(message.handshake, writer.uint32(/* id 1, wireType 2 =*/10).fork(), _depth + 1).ldelim();
            if (message.cheque != null && $Object.hasOwnProperty.call(message, "cheque"))
                $root.swap.Cheque.encode(message.cheque, writer.uint32(/* id 2, wireType 2 =*/18).fork(), _depth + 1).ldelim();
            if (message.ack != null && $Object.hasOwnProperty.call(message, "ack"))
                $root.swap.ChequeAck.encode(message.ack, writer.uint32(/* id 3, wireType 2 =*/26).fork(), _depth + 1).ldelim();
            if (message.$unknowns != null && $Object.hasOwnProperty.call(message, "$unknowns"))
                for (let i = 0; i < message.$unknowns.length; ++i)
                    writer.raw(message.$unknowns[i]);
            return writer;
        };

        /**
         * Decodes a SwapMessage message from the specified reader or buffer.
         * @function decode
         * @memberof swap.SwapMessage
         * @static
         * @param {$protobuf.Reader|Uint8Array} reader Reader or buffer to decode from
         * @param {number} [length] Message length if known beforehand
         * @returns {swap.SwapMessage & swap.SwapMessage.$Shape} SwapMessage
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        SwapMessage.decode = function (reader, length, _end, _depth, _target) {
            if (!(reader instanceof $Reader))
                reader = $Reader.create(reader);
            if (_depth === $undefined)
                _depth = 0;
            if (_depth > $Reader.recursionLimit)
                throw $Error("max depth exceeded");
            let end, message;
            if (length === $undefined)
                end = reader.len;
            else {
                end = reader.pos + length;
                if (end > reader.len)
                    throw $RangeError("index out of range");
                length = reader.len;
                reader.len = end;
            }
            message = _target || new $root.swap.SwapMessage();
            while (reader.pos < end) {
                let start = reader.pos;
                let tag = reader.tag();
                if (tag === _end) {
                    _end = $undefined;
                    break;
                }
                let wireType = tag & 7;
                switch (tag >>>= 3) {
                case 1: {
                        if (wireType !== 2)
                            break;
                        message.handshake = $root.swap.Handshake.decode(reader, reader.size(), $undefined, _depth + 1, message.handshake);
                        message.payload = "handshake";
                        continue;
                    }
                case 2: {
                        if (wireType !== 2)
                            break;
                        message.cheque = $root.swap.Cheque.decode(reader, reader.size(), $undefined, _depth + 1, message.cheque);
                        message.payload = "cheque";
                        continue;
                    }
                case 3: {
                        if (wireType !== 2)
                            break;
                        message.ack = $root.swap.ChequeAck.decode(reader, reader.size(), $undefined, _depth + 1, message.ack);
                        message.payload = "ack";
                        continue;
                    }
                }
                reader.skipType(wireType, _depth, tag);
                if (!reader.discardUnknown) {
                    $util.makeProp(message, "$unknowns", false);
                    (message.$unknowns || (message.$unknowns = [])).push(reader.raw(start, reader.pos));
                }
            }
            if (length !== $undefined) {
                if (reader.pos !== end)
                    throw $RangeError("index out of range");
                reader.len = length;
            }
            if (_end !== $undefined)
                throw $Error("missing end group");
            return message;
        };

        /**
         * Gets the type url for SwapMessage
         * @function getTypeUrl
         * @memberof swap.SwapMessage
         * @static
         * @param {string} [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns {string} The type url
         */
        SwapMessage.getTypeUrl = function(prefix) {
            if (prefix === $undefined)
                prefix = "type.googleapis.com";
            return prefix + "/swap.SwapMessage";
        };

        return SwapMessage;
    })();

    return swap;
})();

export {
  $root as default
};
