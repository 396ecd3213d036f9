export { startTcpRelay, type RelayMode, type TcpRelay } from './tcp-relay.ts';
