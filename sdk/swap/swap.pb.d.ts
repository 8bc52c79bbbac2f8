import * as $protobuf from "protobufjs";
import Long = require("long");

/** Namespace swap. */
export namespace swap {

    /** Phase enum. */
    enum Phase {

        /** PHASE_SOFT value */
        PHASE_SOFT = 0,

        /** PHASE_MOCK value */
        PHASE_MOCK = 1,

        /** PHASE_HARD value */
        PHASE_HARD = 2
    }

    /**
     * Properties of a Handshake.
     * @deprecated Use swap.Handshake.$Properties instead.
     */
    interface IHandshake extends swap.Handshake.$Properties {
    }

    /** Represents a Handshake. */
    class Handshake {

        /**
         * Constructs a new Handshake.
         * @param [properties] Properties to set
         */
        constructor(properties?: swap.Handshake.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Handshake paymentThreshold. */
        paymentThreshold: Uint8Array;

        /** Handshake beneficiary. */
        beneficiary: Uint8Array;

        /** Handshake chequebook. */
        chequebook: Uint8Array;

        /** Handshake chainId. */
        chainId: (number|Long);

        /** Handshake token. */
        token: Uint8Array;

        /** Handshake phase. */
        phase: swap.Phase;

        /**
         * Encodes the specified Handshake message. Does not implicitly {@link swap.Handshake.verify|verify} messages.
         * @param message Handshake message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: swap.Handshake.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Handshake message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {swap.Handshake & swap.Handshake.$Shape} Handshake
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): swap.Handshake & swap.Handshake.$Shape;

        /**
         * Gets the type url for Handshake
         * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns The type url
         */
        static getTypeUrl(prefix?: string): string;
    }

    namespace Handshake {

        /** Properties of a Handshake. */
        interface $Properties {

            /** Handshake paymentThreshold */
            paymentThreshold?: (Uint8Array|null);

            /** Handshake beneficiary */
            beneficiary?: (Uint8Array|null);

            /** Handshake chequebook */
            chequebook?: (Uint8Array|null);

            /** Handshake chainId */
            chainId?: (number|Long|null);

            /** Handshake token */
            token?: (Uint8Array|null);

            /** Handshake phase */
            phase?: (swap.Phase|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Handshake. */
        type $Shape = swap.Handshake.$Properties;
    }

    /**
     * Properties of a Cheque.
     * @deprecated Use swap.Cheque.$Properties instead.
     */
    interface ICheque extends swap.Cheque.$Properties {
    }

    /** Represents a Cheque. */
    class Cheque {

        /**
         * Constructs a new Cheque.
         * @param [properties] Properties to set
         */
        constructor(properties?: swap.Cheque.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** Cheque beneficiary. */
        beneficiary: Uint8Array;

        /** Cheque date. */
        date: number;

        /** Cheque amount. */
        amount: number;

        /** Cheque chequebook. */
        chequebook: Uint8Array;

        /** Cheque cumulativePayout. */
        cumulativePayout: Uint8Array;

        /** Cheque signature. */
        signature: Uint8Array;

        /** Cheque chainId. */
        chainId: (number|Long);

        /**
         * Encodes the specified Cheque message. Does not implicitly {@link swap.Cheque.verify|verify} messages.
         * @param message Cheque message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: swap.Cheque.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a Cheque message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {swap.Cheque & swap.Cheque.$Shape} Cheque
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): swap.Cheque & swap.Cheque.$Shape;

        /**
         * Gets the type url for Cheque
         * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns The type url
         */
        static getTypeUrl(prefix?: string): string;
    }

    namespace Cheque {

        /** Properties of a Cheque. */
        interface $Properties {

            /** Cheque beneficiary */
            beneficiary?: (Uint8Array|null);

            /** Cheque date */
            date?: (number|null);

            /** Cheque amount */
            amount?: (number|null);

            /** Cheque chequebook */
            chequebook?: (Uint8Array|null);

            /** Cheque cumulativePayout */
            cumulativePayout?: (Uint8Array|null);

            /** Cheque signature */
            signature?: (Uint8Array|null);

            /** Cheque chainId */
            chainId?: (number|Long|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a Cheque. */
        type $Shape = swap.Cheque.$Properties;
    }

    /**
     * Properties of a ChequeAck.
     * @deprecated Use swap.ChequeAck.$Properties instead.
     */
    interface IChequeAck extends swap.ChequeAck.$Properties {
    }

    /** Represents a ChequeAck. */
    class ChequeAck {

        /**
         * Constructs a new ChequeAck.
         * @param [properties] Properties to set
         */
        constructor(properties?: swap.ChequeAck.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** ChequeAck cumulativePayout. */
        cumulativePayout: Uint8Array;

        /** ChequeAck amount. */
        amount: number;

        /** ChequeAck accepted. */
        accepted: boolean;

        /** ChequeAck reason. */
        reason: string;

        /** ChequeAck date. */
        date: number;

        /**
         * Encodes the specified ChequeAck message. Does not implicitly {@link swap.ChequeAck.verify|verify} messages.
         * @param message ChequeAck message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: swap.ChequeAck.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a ChequeAck message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {swap.ChequeAck & swap.ChequeAck.$Shape} ChequeAck
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): swap.ChequeAck & swap.ChequeAck.$Shape;

        /**
         * Gets the type url for ChequeAck
         * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns The type url
         */
        static getTypeUrl(prefix?: string): string;
    }

    namespace ChequeAck {

        /** Properties of a ChequeAck. */
        interface $Properties {

            /** ChequeAck cumulativePayout */
            cumulativePayout?: (Uint8Array|null);

            /** ChequeAck amount */
            amount?: (number|null);

            /** ChequeAck accepted */
            accepted?: (boolean|null);

            /** ChequeAck reason */
            reason?: (string|null);

            /** ChequeAck date */
            date?: (number|null);

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Shape of a ChequeAck. */
        type $Shape = swap.ChequeAck.$Properties;
    }

    /**
     * Properties of a SwapMessage.
     * @deprecated Use swap.SwapMessage.$Properties instead.
     */
    interface ISwapMessage extends swap.SwapMessage.$Properties {
    }

    /** Represents a SwapMessage. */
    class SwapMessage {

        /**
         * Constructs a new SwapMessage.
         * @param [properties] Properties to set
         */
        constructor(properties?: swap.SwapMessage.$Properties);

        /** Unknown fields preserved while decoding when enabled */
        $unknowns?: Uint8Array[];

        /** SwapMessage handshake. */
        handshake?: (swap.Handshake.$Properties|null);

        /** SwapMessage cheque. */
        cheque?: (swap.Cheque.$Properties|null);

        /** SwapMessage ack. */
        ack?: (swap.ChequeAck.$Properties|null);

        /** SwapMessage payload. */
        payload?: ("handshake"|"cheque"|"ack");

        /**
         * Encodes the specified SwapMessage message. Does not implicitly {@link swap.SwapMessage.verify|verify} messages.
         * @param message SwapMessage message or plain object to encode
         * @param [writer] Writer to encode to
         * @returns Writer
         */
        static encode(message: swap.SwapMessage.$Properties, writer?: $protobuf.Writer): $protobuf.Writer;

        /**
         * Decodes a SwapMessage message from the specified reader or buffer.
         * @param reader Reader or buffer to decode from
         * @param [length] Message length if known beforehand
         * @returns {swap.SwapMessage & swap.SwapMessage.$Shape} SwapMessage
         * @throws {Error} If the payload is not a reader or valid buffer
         * @throws {$protobuf.util.ProtocolError} If required fields are missing
         */
        static decode(reader: ($protobuf.Reader|Uint8Array), length?: number): swap.SwapMessage & swap.SwapMessage.$Shape;

        /**
         * Gets the type url for SwapMessage
         * @param [prefix] Custom type url prefix, defaults to `"type.googleapis.com"`
         * @returns The type url
         */
        static getTypeUrl(prefix?: string): string;
    }

    namespace SwapMessage {

        /** Properties of a SwapMessage. */
        interface $Properties {

            /** SwapMessage handshake */
            handshake?: (swap.Handshake.$Properties|null);

            /** SwapMessage cheque */
            cheque?: (swap.Cheque.$Properties|null);

            /** SwapMessage ack */
            ack?: (swap.ChequeAck.$Properties|null);

            /** SwapMessage payload */
            payload?: ("handshake"|"cheque"|"ack");

            /** Unknown fields preserved while decoding when enabled */
            $unknowns?: Uint8Array[];
        }

        /** Narrowed shape of a SwapMessage. */
        type $Shape = {
          handshake?: swap.Handshake.$Shape|null;
          cheque?: swap.Cheque.$Shape|null;
          ack?: swap.ChequeAck.$Shape|null;
          $unknowns?: Uint8Array[];
        } & (
          ({ payload?: undefined; handshake?: null; cheque?: null; ack?: null }|{ payload?: "handshake"; handshake: swap.Handshake.$Shape; cheque?: null; ack?: null }|{ payload?: "cheque"; handshake?: null; cheque: swap.Cheque.$Shape; ack?: null }|{ payload?: "ack"; handshake?: null; cheque?: null; ack: swap.ChequeAck.$Shape })
        );
    }
}
