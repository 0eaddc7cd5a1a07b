// stopword ships no types; Ulasan reads its Indonesian list (features) and its English one (the
// evaluation's language slice).
declare module 'stopword' {
  export const ind: string[];
  export const eng: string[];
}
