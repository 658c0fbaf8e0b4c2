/** Masking rules of the partner contract. */

export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= 1) return chars.join('') + '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** "GD20231234561234" -> "GD**********1234": the prefix letters and the last four characters stay. */
export function maskCardNumber(cardNumber: string): string {
  const prefix = /^[A-Z]*/.exec(cardNumber)?.[0] ?? '';
  const tail = cardNumber.slice(-4);
  const hidden = Math.max(cardNumber.length - prefix.length - 4, 0);
  return prefix + '*'.repeat(hidden) + tail;
}

/** "13812341234" -> "138****1234" */
export function maskPhone(phone: string): string {
  if (phone.length < 8) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}
